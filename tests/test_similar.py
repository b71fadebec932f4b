"""Moment → moments: a scene's moment finds the other scenes with its shape and colour first,
through the Python API and `vidseek similar`, with the vectors already in the library."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from tests.similar_world import VIDEOS, similar_world
from tests.test_cli_startup import HEAVY, loaded_modules
from vidseek.cli.main import cli
from vidseek.core.errors import QueryError, VideoNotFound
from vidseek.search.query import SearchOptions, search_vector
from vidseek.search.similar import clip_vector
from vidseek.session import Session

SCENES = [(v, s) for v, scenes in enumerate(VIDEOS) for s in scenes]
REPEATED = [(v, s) for v, s in SCENES if any(
    (o.shape, o.color) == (s.shape, s.color) for w, scenes in enumerate(VIDEOS) if w != v
    for o in scenes
)]  # fmt: skip


@pytest.fixture(scope="module")
def world():
    return similar_world()


@pytest.fixture
def session(world):
    with Session(world.home) as session:
        yield session


@pytest.mark.parametrize(("video", "scene"), REPEATED, ids=lambda x: getattr(x, "shape", x))
def test_a_scene_finds_the_same_shape_and_colour_first(session, world, video, scene):
    want = world.scenes_like(scene, but_not=video)
    clips = session.similar(world.ids[video], scene.start, scene.end, k=len(want) + 2)
    top = clips[: len(want)]
    assert {(c.video_id, c.start) for c in top} == want, clips
    for clip in top:
        assert clip.end == pytest.approx(clip.start + 4.0), clip
    assert clips[len(want)].score < min(c.score for c in top)


def test_the_source_is_left_out_by_default_and_comes_first_with_the_flag(session, world):
    source = world.ids[0]
    scene = VIDEOS[0][0]
    without = session.similar(source, scene.start, scene.end, k=20)
    assert without and all(c.video_id != source for c in without)
    with_source = session.similar(source, scene.start, scene.end, k=20, include_source=True)
    first = with_source[0]
    assert (first.video_id, first.start, first.end) == (source, scene.start, scene.end)
    assert first.score > 0.999
    assert {c.video_id for c in with_source} >= {source}
    assert [c for c in with_source if c.video_id != source][: len(without)] == without


def test_the_whole_video_when_no_range_is_given(session, world):
    source = world.ids[0]
    clips = session.similar(source, k=6)
    assert len(clips) == 6 and all(c.video_id != source for c in clips)
    assert clips == session.similar(source, 0.0, VIDEOS[0][-1].end, k=6)
    # Video 0 is a red circle, then a yellow star: a twin of each is among the first three.
    top = {(c.video_id, c.start) for c in clips[:3]}
    assert top & world.scenes_like(VIDEOS[0][0], 0) and top & world.scenes_like(VIDEOS[0][1], 0)


def test_similar_loads_no_model(session, world):
    session.similar(world.ids[1], 0.0, 4.0, k=3)
    assert session._encoder is None and session._text_encoder is None


def test_the_clip_vector_is_the_renormalised_mean_of_the_overlapping_segments(session, world):
    library = session.library()
    video = world.ids[0]
    segments = library.segments(video)
    assert [(s.start, s.end) for s in segments] == [(0.0, 4.0), (4.0, 8.0)]
    ids = [s.id for s in segments]
    (_, vectors), *_ = library.catalog.segment_vectors(library.model.dim, ids)
    mean = vectors.mean(axis=0)
    mean /= np.linalg.norm(mean)
    for start, end, expected in [
        (0.0, 4.0, vectors[0]),  # [4, 8) only touches 4.0: not overlapping
        (1.0, 2.0, vectors[0]),
        (3.0, 5.0, mean),
        (None, None, mean),
        (4.5, None, vectors[1]),
    ]:
        got = clip_vector(library, video, start, end)
        assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(got, expected / np.linalg.norm(expected), atol=1e-5)


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (4.0, 4.0, "before end"),
        (5.0, 2.0, "before end"),
        (-1.0, 2.0, "at least 0"),
        (8.0, None, "outside the video"),
        (20.0, 30.0, "outside the video"),
        (1.0, 9.5, "outside the video"),
        (float("nan"), 2.0, "seconds"),
    ],
)
def test_a_bad_range_is_a_clear_error(session, world, start, end, words):
    with pytest.raises(QueryError, match=words):
        session.similar(world.ids[0], start, end)


def test_an_unknown_video_is_a_clear_error(session):
    with pytest.raises(VideoNotFound):
        session.similar(9999)


def test_excluded_videos_also_leave_an_allow_list(session, world):
    library = session.library()
    vector = clip_vector(library, world.ids[0], 0.0, 4.0)
    allowed = (world.ids[0], world.ids[2])
    options = SearchOptions(k=10, video_ids=allowed, exclude_video_ids=(world.ids[0],))
    assert {c.video_id for c in search_vector(library, vector, options)} == {world.ids[2]}
    only_source = SearchOptions(k=10, video_ids=(world.ids[0],), exclude_video_ids=allowed)
    assert search_vector(library, vector, only_source) == []


def test_k_results_survive_the_exclusion(session, world):
    """The source's own segments rank first; the search fetches past them, not k short."""
    for k in (1, 3, 8):
        clips = session.similar(world.ids[4], k=k)
        assert len(clips) == k


# --- the command ----------------------------------------------------------------------------


def run(world, *args: str):
    return CliRunner().invoke(cli, ["--library", str(world.home), "similar", *args])


def test_cli_json_shape(world):
    result = run(world, str(world.ids[0]), "--start", "0", "--end", "4", "-k", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["source"] == {
        "video_id": world.ids[0],
        "path": str(world.videos[0]),
        "start": 0.0,
        "end": 4.0,
        "include_source": False,
    }
    assert data["group_by"] == "clip" and data["groups"] == []
    assert (data["offset"], data["k"]) == (0, 2) and data["total"] >= 2
    assert {(r["video_id"], r["start"]) for r in data["results"]} == world.scenes_like(
        VIDEOS[0][0], 0
    )
    for r in data["results"]:
        assert set(r) >= {  # the JSON contract only ever adds fields
            "video_id", "path", "start", "end", "score", "segment_ids", "matched", "snippet",
        }  # fmt: skip
        assert (r["matched"], r["snippet"]) == (["visual"], None)


def test_cli_takes_an_indexed_path_and_prints_a_table(world):
    result = run(world, str(world.videos[2]), "--start", "0", "--end", "4", "-k", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3 and lines[2] == "more: --offset 2", result.output
    shown = {line.rsplit("(video ", 1)[1].rstrip(")") for line in lines[:2]}
    assert shown == {str(v) for v, _ in world.scenes_like(VIDEOS[2][0], 2)}, result.output
    assert str(world.videos[2]) not in result.output


def test_cli_include_source_and_group_by_video(world):
    result = run(world, str(world.ids[3]), "--include-source", "--group-by", "video", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["source"]["include_source"] is True
    assert data["groups"][0]["video_id"] == world.ids[3]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["9999"], "no video with id"),
        (["/no/such/video.mp4"], "no video with id or indexed path"),
        (["1", "--start", "5", "--end", "3"], "start must be before end"),
        (["1", "--start", "100"], "outside the video"),
    ],
)
def test_cli_errors_are_one_clear_line_and_exit_2(world, args, words):
    result = run(world, *args)
    assert result.exit_code == 2, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("error: ") and words in first, result.output
    assert "Traceback" not in result.output


def test_cli_similar_imports_no_torch(world):
    modules = loaded_modules("--library", str(world.home), "similar", "1", "--json")
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], heavy[:8]


def test_a_failed_video_is_a_clear_error(world, tmp_path):
    home = tmp_path / "library"
    shutil.copytree(world.home, home)
    with Session(home) as session:
        failed = session.library().record_failure("/media/broken.mp4", "0" * 64, 10, "truncated")
        with pytest.raises(QueryError, match="no indexed moments"):
            session.similar(failed.id)
        result = CliRunner().invoke(cli, ["--library", str(home), "similar", str(failed.id)])
    assert result.exit_code == 2 and "no indexed moments" in result.output
