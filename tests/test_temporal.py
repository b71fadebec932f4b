"""Temporal order, "A, then B": spans where one event follows another in the same video,
found through the real pipeline on multi-scene demo videos (tests/sharper_world.py)."""

from __future__ import annotations

import pytest

from tests.sharper_world import sharper_world
from vidseek.core.errors import QueryError
from vidseek.core.types import Clip
from vidseek.search.temporal import OVERLAP_S, pair_clips
from vidseek.session import Session

RED_CIRCLE, BLUE_SQUARE = "a red circle", "a blue square"


@pytest.fixture(scope="module")
def world():
    return sharper_world()


@pytest.fixture(scope="module")
def library(world):
    with Session(world.home) as session:
        yield session


def spans(world, clips: list[Clip]) -> set[tuple[str, float, float]]:
    return {(world.name_of(c.video_id), c.start, c.end) for c in clips}


def test_a_then_b_finds_the_videos_where_a_comes_first(library, world):
    found = library.search(RED_CIRCLE, then=BLUE_SQUARE, max_gap=10, min_score=0.5)
    # from the start of the red circle to the end of the blue square; 8 s apart in a_gap_b
    assert spans(world, found) == {("a_then_b", 0.0, 8.0), ("a_gap_b", 0.0, 16.0)}
    assert all(c.score >= 0.5 for c in found)


def test_the_order_matters(library, world):
    found = library.search(BLUE_SQUARE, then=RED_CIRCLE, max_gap=10, min_score=0.5)
    assert spans(world, found) == {("b_then_a", 0.0, 8.0)}


def test_the_gap_is_a_limit(library, world):
    found = library.search(RED_CIRCLE, then=BLUE_SQUARE, max_gap=5, min_score=0.5)
    assert spans(world, found) == {("a_then_b", 0.0, 8.0)}


def test_without_a_floor_the_wrong_order_ranks_far_below(library, world):
    found = library.search(RED_CIRCLE, then=BLUE_SQUARE, k=10)
    names = [world.name_of(c.video_id) for c in found]
    assert set(names[:2]) == {"a_then_b", "a_gap_b"}
    assert all(c.score < 0.5 * found[1].score for c in found[2:])


def test_exclusion_applies_to_both_events(library, world):
    found = library.search(
        RED_CIRCLE, then=BLUE_SQUARE, min_score=0.5, not_texts=["a purple background"]
    )
    assert spans(world, found) == {("a_then_b", 0.0, 8.0)}  # a_gap_b's circle is on purple


def test_filters_and_grouping_apply(library, world):
    found = library.search(
        RED_CIRCLE, then=BLUE_SQUARE, min_score=0.5, min_duration=12.0, per_video=1
    )
    assert spans(world, found) == {("a_gap_b", 0.0, 16.0)}


def test_bad_gaps_are_query_errors(library):
    with pytest.raises(QueryError, match="max_gap"):
        library.search(RED_CIRCLE, then=BLUE_SQUARE, max_gap=-1)
    with pytest.raises(QueryError, match="max_gap needs then"):
        library.search(RED_CIRCLE, max_gap=3)


def clip(video: int, start: float, end: float, score: float) -> Clip:
    return Clip(video, f"/v/{video}.mp4", start, end, score, [int(start * 10)])


def test_pairs_need_b_after_a_and_take_each_span_once():
    firsts = [clip(1, 0, 4, 0.9), clip(1, 10, 12, 0.8), clip(2, 5, 8, 0.9)]
    thens = [
        clip(1, 4 - OVERLAP_S / 2, 8, 0.7),  # starts inside the cut's tolerance: a match
        clip(1, 12, 14, 0.85),
        clip(2, 0, 5, 0.9),  # video 2: B before A
        clip(2, 8 + 6, 21, 0.9),  # and 6 s after A, past the gap
    ]
    pairs = pair_clips(firsts, thens, max_gap=5)  # (0-4, 12-14) is 8 s apart: no pair
    assert [(c.video_id, c.start, c.end, c.score) for c in pairs] == [
        (1, 10, 14, 0.8),
        (1, 0, 8, 0.7),
    ]
    assert pairs[1].segment_ids == [0, 35]
    # a wider gap pairs the first A with the later B: the best pair takes the span
    wide = pair_clips(firsts, thens, max_gap=10)
    assert [(c.video_id, c.start, c.end, c.score) for c in wide] == [
        (2, 5, 21, 0.9),
        (1, 0, 14, 0.85),
    ]


def test_cli_then(world):
    import json

    from click.testing import CliRunner

    from vidseek.cli.main import cli

    args = ["--library", str(world.home), "search", RED_CIRCLE, "--then", BLUE_SQUARE]
    result = CliRunner().invoke(cli, [*args, "--max-gap", "5", "--min-score", "0.5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == f"{RED_CIRCLE}, then {BLUE_SQUARE}"
    assert [(world.name_of(c["video_id"]), c["start"], c["end"]) for c in data["results"]] == [
        ("a_then_b", 0.0, 8.0)
    ]
    grouped = CliRunner().invoke(cli, [*args, "--min-score", "0.5", "--group-by", "video"])
    assert grouped.exit_code == 0 and "a_then_b.mp4" in grouped.output
    assert "a_gap_b.mp4" in grouped.output and "b_then_a" not in grouped.output
    misuse = CliRunner().invoke(
        cli, ["--library", str(world.home), "search", "x", "--max-gap", "3"]
    )
    assert misuse.exit_code == 2 and "--max-gap is the gap of --then" in misuse.output
