"""Issue #13 targets at CI size: two short speaking videos indexed with every kind of
evidence, scored like ``bench/evidence_targets.py`` (which runs them on held-out seeds at
720p and records the figures in bench/RESULTS.md)."""

from __future__ import annotations

import pytest

from bench.evidence_targets import TARGETS, run


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("targets")
    return run(folder, 2, seed=11, size=(640, 360), duration=(12.0, 16.0), phrases=3)


def test_every_video_and_every_kind_of_evidence_was_indexed(summary: dict) -> None:
    assert summary["files_failed"] == [] and summary["evidence_failures"] == []
    assert set(summary["stages_seconds"]) >= {"visual", "speech", "subtitle", "ocr"}


def test_a_spoken_phrase_finds_its_video_and_moment(summary: dict) -> None:
    assert summary["top1"]["speech"] >= TARGETS["speech"], summary["misses"]["speech"]


def test_words_on_screen_find_their_video_inside_the_text_span(summary: dict) -> None:
    assert summary["top1"]["ocr"] >= TARGETS["ocr"], summary["misses"]["ocr"]


def test_subtitles_in_five_languages_find_their_cue(summary: dict) -> None:
    assert summary["top1"]["subtitle"] == 1.0, summary["misses"]["subtitle"]
    assert summary["counts"]["subtitle"].endswith(f"/{5 * _cues(summary)}")


def _cues(summary: dict) -> int:
    speech = summary["counts"]["speech"]
    return int(speech.split("/")[1]) // 3  # a cue per language for each sentence, 3 phrases
