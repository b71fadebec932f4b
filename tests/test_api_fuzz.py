"""Schemathesis fuzzes every operation of the published OpenAPI schema: never a 5xx.

Valid (positive) and invalid (negative) requests are generated from ``/openapi.json`` of a
real uvicorn on 127.0.0.1 over a private library copy. Examples per operation and mode are
bounded (``FUZZ_EXAMPLES``) so the run stays well under a minute on two cores.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_server import built_library, live_server, server_config

FUZZ_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    library = built_library().copy(tmp_path_factory.mktemp("fuzz") / "library")
    config = server_config(library, media_roots=(library.videos_dir,))
    with live_server(config) as server:
        yield server


def _fuzz(operation, mode: GenerationMode, base_url: str) -> bool:
    """Run the bounded fuzz of one operation; False when it has nothing to make invalid."""

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=30)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        return False  # e.g. GET /health: no parameter or body to break
    return True


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schema_fuzz_finds_no_server_errors(live, mode):
    schema = schemathesis.openapi.from_url(f"{live.base_url}/openapi.json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    fuzzed = [op.label for op in operations if _fuzz(op, mode, live.base_url)]
    assert len(fuzzed) >= (10 if mode is GenerationMode.POSITIVE else 6), fuzzed


KEY = "fuzz-key-0123456789"


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    library = built_library().copy(tmp_path_factory.mktemp("fuzz-keyed") / "library")
    config = server_config(library, media_roots=(library.videos_dir,), api_keys=(KEY,))
    with live_server(config) as server:
        yield server


def test_schemathesis_cli_all_checks_all_phases_with_a_key(keyed, tmp_path):
    """What a user runs: ``st run`` with every check, through examples, coverage and fuzzing."""
    import subprocess
    import sys
    from pathlib import Path

    st = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(st), "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
            "run", f"{keyed.base_url}/openapi.json",
            "-H", f"X-API-Key: {KEY}",
            "--checks", "all",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", "15",
            "--seed", "1",
            "--request-timeout", "30",
            "--suppress-health-check", "all",
        ],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
