"""Calibrated confidence and "no match", through the real pipeline on held-out videos drawn by
the second, independent renderer (tests/second_renderer.py), with the bundled model and its
calibration (data/models/vidseek-demo/calibration.json, fitted on the first renderer): what a
moment's confidence is, how min_confidence moves the cut-off, and how the CLI and the API say
"no match". The issue's targets (absent combinations return nothing for >= 90 %, present ones
keep R@1 >= 0.95) are measured by bench/no_match.py; the shipped model does not reach them on
this renderer yet (bench/RESULTS.md, "No match"), so no test asserts them.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.second_renderer import write_world
from vidseek.cli.main import cli
from vidseek.core.models import load_encoder
from vidseek.demo.world import COLORS, LANGUAGES, SHAPES, describe
from vidseek.evaluation.calibrate import Query, scene_key
from vidseek.search.calibration import load_calibration
from vidseek.session import Session

SEED, N_VIDEOS, N_ABSENT = 6161, 4, 120


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """Second-renderer videos indexed with vidseek-demo: (library folder, truths)."""
    base = tmp_path_factory.mktemp("confidence")
    truths = write_world(base / "videos", SEED, N_VIDEOS)
    with Session(base / "library", model="vidseek-demo") as session:
        report = session.index([base / "videos"])
    assert len(report.of("indexed")) == N_VIDEOS, report.outcomes
    return base / "library", truths


@pytest.fixture(scope="module")
def session(world):
    with Session(world[0]) as session:
        yield session


def _present(truths: dict[str, dict]) -> set[tuple[str, ...]]:
    return {
        scene_key(s, kind)
        for t in truths.values()
        for s in t["scenes"]
        for kind in ("full", "short")
    }


def _queries(truths: dict[str, dict]) -> tuple[list[Query], list[Query]]:
    """(present, absent): every present combination in every language; a sample of absent
    combinations, one language each."""
    present = _present(truths)
    asked = []
    for key in sorted(k for k in present if len(k) == 3):
        kind = "full" if len(key) == 3 else "short"
        for lang in LANGUAGES:
            asked.append(Query(describe(*key[:2], key[2] if kind == "full" else None, lang),
                               kind, key, lang))  # fmt: skip
    absent_keys = [
        (s, c, b)
        for s, c, b in itertools.product(SHAPES, COLORS, COLORS)
        if c != b and (s, c, b) not in present
    ]
    sample = random.Random(SEED).sample(absent_keys, N_ABSENT)
    absent = [
        Query(describe(*key, LANGUAGES[i % len(LANGUAGES)]), "full", key, LANGUAGES[i % 5])
        for i, key in enumerate(sample)
    ]
    return asked, absent


def test_the_bundled_calibration_belongs_to_the_bundled_weights():
    calibration = load_calibration(load_encoder("vidseek-demo").identity)
    assert calibration is not None, "re-run: vidseek models calibrate vidseek-demo -o ..."
    assert calibration.method == "logistic" and 0.0 < calibration.threshold < 1.0
    validation = calibration.fitted_on["validation"]["full"]
    assert validation["absent_queries"] > 0 and validation["present_queries"] > 0


def test_confidence_is_a_probability_with_a_level(session, world):
    _, truths = world
    present, _ = _queries(truths)
    for q in present[::7]:
        for clip in session.search(q.text, k=5, min_confidence=0.0):
            assert 0.0 <= clip.confidence <= 1.0
            assert clip.confidence_level in ("high", "medium", "low")
    grey = np.full((64, 64, 3), 128, dtype=np.uint8)  # image queries are not judged
    image_clips = session.search_image(grey, k=3)
    assert image_clips and all(c.confidence is None for c in image_clips)


def _absent_answered_no_match(session, truths) -> str:
    for q in _queries(truths)[1]:
        judged = session.search_judged(q.text, k=5)
        if judged.no_match is not None:
            return q.text
    raise AssertionError("no absent combination was answered 'no match'")


def test_min_confidence_moves_the_cut_off(session, world):
    _, truths = world
    text = _absent_answered_no_match(session, truths)
    judged = session.search_judged(text, k=5)
    assert judged.clips == [] and judged.no_match.weaker >= 1
    cut = judged.no_match.min_confidence
    weaker = session.search(text, k=5, min_confidence=0.0)
    assert weaker and all(c.confidence < cut for c in weaker)
    assert max(c.confidence for c in weaker) == pytest.approx(judged.no_match.best_confidence)
    # just under the best weaker moment's confidence lets that one through
    lower = session.search(text, k=5, min_confidence=max(c.confidence for c in weaker))
    assert len(lower) >= 1
    best = max(c.confidence for c in weaker)
    if best < 1.0:  # just above the best moment: nothing again
        assert session.search(text, k=5, min_confidence=min(1.0, best + 1e-4)) == []


def test_cli_says_no_match_and_why(session, world):
    library, truths = world
    text = _absent_answered_no_match(session, truths)
    runner = CliRunner()
    plain = runner.invoke(cli, ["--library", str(library), "search", text])
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith("no match:"), plain.output
    out = runner.invoke(cli, ["--library", str(library), "search", text, "--json"])
    payload = json.loads(out.stdout)
    assert payload["results"] == [] and payload["total"] == 0
    assert payload["no_match"]["reason"] and payload["no_match"]["weaker"] >= 1
    args = ["--library", str(library), "search", text, "--json", "--min-confidence", "0"]
    shown = json.loads(runner.invoke(cli, args).stdout)
    assert shown["results"] and shown["no_match"] is None
    assert all(r["confidence_level"] == "low" for r in shown["results"])


def test_api_returns_an_empty_list_and_says_why(session, world):
    from tests.api_server import BuiltLibrary, live_server, server_config

    library, truths = world
    text = _absent_answered_no_match(session, truths)
    videos = tuple(Path(p) for p in truths)
    built = BuiltLibrary(library, videos[0].parent, videos, "vidseek-demo")
    with live_server(server_config(built)) as server, server.client() as client:
        body = client.get("/search", params={"q": text}).json()
        assert body["results"] == [] and body["total"] == 0
        assert body["no_match"]["reason"] == "no moment reaches the confidence cut-off"
        assert body["no_match"]["weaker"] >= 1
        weaker = client.post("/search", json={"q": text, "min_confidence": 0}).json()
        assert weaker["results"] and weaker["no_match"] is None
        assert all(r["confidence"] < body["no_match"]["min_confidence"] for r in weaker["results"])
        bad = client.get("/search", params={"q": text, "min_confidence": 1.5})
        assert bad.status_code == 422
