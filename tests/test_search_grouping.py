"""Group by video: one result per video in the order of its best clip, with its clips;
through the Searcher and through ``vidseek search --group-by video``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.search_library import DIM, FakeEncoder, open_library
from vidseek.cli.main import cli
from vidseek.core.errors import QueryError
from vidseek.core.types import Clip
from vidseek.search.grouping import group_by_video
from vidseek.search.query import Searcher, SearchOptions
from vidseek.search.results import page_of, ranking_per_video


def clip(video_id: int, start: float, score: float) -> Clip:
    return Clip(video_id, f"/v/{video_id}.mp4", start, start + 1.0, score, [int(start)])


def test_groups_follow_each_videos_best_clip():
    clips = [clip(2, 0, 0.9), clip(1, 5, 0.8), clip(2, 9, 0.7), clip(3, 1, 0.6), clip(1, 2, 0.5)]
    groups = group_by_video(clips)
    assert [g.video_id for g in groups] == [2, 1, 3]
    assert [g.score for g in groups] == [0.9, 0.8, 0.6]
    assert [g.clip_count for g in groups] == [2, 2, 1]
    assert groups[0].clips == [clips[0], clips[2]] and groups[0].path == "/v/2.mp4"
    capped = group_by_video(clips, per_video=1)
    assert [len(g.clips) for g in capped] == [1, 1, 1]
    assert [g.clip_count for g in capped] == [2, 2, 1]  # the count is of the whole window
    assert group_by_video([]) == []


def test_per_video_caps_ranking_only_for_clip_pages():
    assert ranking_per_video("clip", 2) == 2
    assert ranking_per_video("video", 2) is None
    with pytest.raises(QueryError):
        ranking_per_video("frame", None)  # type: ignore[arg-type]


def test_video_pages_through_the_searcher(tmp_path: Path):
    paths = [f"/videos/{i}.mp4" for i in range(6)]
    with open_library(tmp_path / "lib", paths) as library:
        searcher = Searcher(library, FakeEncoder())  # type: ignore[arg-type]
        clips = searcher.search_vector(np.ones(DIM, dtype=np.float32), SearchOptions(k=100))
        first = page_of(clips, 0, 4, "video", per_video=2)
        rest = page_of(clips, 4, 4, "video", per_video=2)
    assert first.total == rest.total == len(paths)
    assert first.next_offset == 4 and rest.next_offset is None
    groups = first.items + rest.items
    assert len({g.video_id for g in groups}) == len(paths)
    assert [g.score for g in groups] == sorted((g.score for g in groups), reverse=True)
    for group in groups:
        assert group.clip_count == 5 and len(group.clips) == 2
        assert {c.video_id for c in group.clips} == {group.video_id}
        assert group.clips[0].score == group.score >= group.clips[1].score


def run(library: Path, *args: str):
    """The CLI with no confidence cut-off: these tests group whole ranked windows."""
    if args and args[0] == "search":
        args = (*args, "--min-confidence", "0")
    return CliRunner().invoke(cli, ["--library", str(library), *args], catch_exceptions=False)


def test_cli_group_by_video_json(demo_library: Path):
    result = run(demo_library, "search", "a yellow circle", "--json", "--group-by", "video")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["group_by"] == "video" and data["results"] == []
    ids = [g["video_id"] for g in data["groups"]]
    assert len(ids) == len(set(ids)) == data["total"] == 3
    for group in data["groups"]:
        assert group["clip_count"] == len(group["clips"]) >= 1
        assert group["score"] == group["clips"][0]["score"]
        assert {c["video_id"] for c in group["clips"]} == {group["video_id"]}
    scores = [g["score"] for g in data["groups"]]
    assert scores == sorted(scores, reverse=True)


def test_cli_group_by_video_pages_and_caps_clips(demo_library: Path):
    args = ["search", "a yellow circle", "--json", "--group-by", "video", "--per-video", "1"]
    whole = json.loads(run(demo_library, *args).output)
    page = json.loads(run(demo_library, *args, "-k", "1", "--offset", "1").output)
    assert page["groups"] == whole["groups"][1:2] and page["next_offset"] == 2
    assert all(len(g["clips"]) == 1 for g in whole["groups"])
    assert any(g["clip_count"] > 1 for g in whole["groups"])


def test_cli_group_by_video_table(demo_library: Path):
    result = run(demo_library, "search", "a yellow circle", "--group-by", "video", "-k", "2")
    assert result.exit_code == 0, result.output
    heads = [line for line in result.output.splitlines() if "(video " in line]
    assert [h.split()[0] for h in heads] == ["1", "2"]
    assert result.output.splitlines()[-1] == "more: --offset 2"
    assert run(demo_library, "search", "x", "--group-by", "frame").exit_code == 2
