"""The demo world through the CLI on Milvus: ``vidseek check --repair --vector-store milvus:…``
copies a FAISS library's vectors onto Milvus from the catalog, and the same text queries then
return the same top clips through both stores."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from tests.api_server import DEMO_MODEL, built_library
from tests.conftest import skip_or_fail_in_ci

try:
    import milvus_lite  # noqa: F401
    import pymilvus  # noqa: F401
except ImportError:
    skip_or_fail_in_ci("pymilvus and milvus-lite are not installed (the milvus extra)")

from vidseek.cli.main import cli  # noqa: E402

QUERIES = ["a red circle", "a blue square on a green background", "a yellow triangle", "a star"]


@pytest.fixture
def clean_env(monkeypatch):
    # --vector-store sets $VIDSEEK_VECTOR_STORE for the process; undo it after each test.
    monkeypatch.delenv("VIDSEEK_VECTOR_STORE", raising=False)
    yield
    os.environ.pop("VIDSEEK_VECTOR_STORE", None)


def run(*args: str) -> dict | list:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def top_clips(home, store: str | None, query: str) -> list[tuple]:
    extra = ["--vector-store", store] if store else []
    # the same ranking from both stores is what counts here, so no confidence cut-off
    args = ["search", query, "--json", "-k", "5", "--min-confidence", "0", "--library", str(home)]
    out = run(*args, *extra)
    clips = out["results"] if isinstance(out, dict) else out
    return [(c["video_id"], c["start"], c["end"], round(c["score"], 4)) for c in clips]


def test_copy_to_milvus_then_same_top_clips(tmp_path, clean_env) -> None:
    lib = built_library(DEMO_MODEL, n_videos=4).copy(tmp_path / "lib")
    store = f"milvus:{tmp_path / 'vectors.db'}#demo"
    faiss_answers = {q: top_clips(lib.home, None, q) for q in QUERIES}
    assert all(faiss_answers.values())

    before = run("check", "--json", "--library", str(lib.home), "--vector-store", store)
    assert not before["clean"]
    assert "missing" in before["problems"][0]["detail"]
    copied = run("check", "--repair", "--json", "--library", str(lib.home), "--vector-store", store)
    assert copied["clean"], copied
    assert copied["counts"]["index"] == copied["counts"]["segments"] > 0

    for query, want in faiss_answers.items():
        assert top_clips(lib.home, store, query) == want, query
