"""Near-duplicates through the real pipeline: demo-world videos and their copies made like
ffmpeg would (re-encodes, resize, crop, trim, a clip inside another video), indexed with the
bundled model, found by ``vidseek duplicates`` and folded by ``--collapse-duplicates``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.duplicate_world import DuplicateWorld, duplicate_world
from vidseek.cli.main import cli
from vidseek.session import Session

OFFSET_TOLERANCE_S = 1.0


@pytest.fixture(scope="module")
def world() -> DuplicateWorld:
    return duplicate_world()


def run(world: DuplicateWorld, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--library", str(world.home), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_copy_and_the_shared_clip_found_with_offsets_and_no_false_pairs(world):
    data = json.loads(run(world, "duplicates", "--json"))
    name = {v: stem for stem, v in world.ids.items()}
    assert len(data["copies"]) == 1, data["copies"]
    group = {name[v["video_id"]]: v["offset"] for v in data["copies"][0]["videos"]}
    assert set(group) == {"orig_0", *world.copies_of_a}
    for stem, offset in world.copies_of_a.items():
        assert abs(group[stem] - group["orig_0"] - offset) <= OFFSET_TOLERANCE_S, (stem, group)
    assert all(v["path"].endswith(".mp4") for v in data["copies"][0]["videos"])

    source, host, offset, clip_start = world.shared
    assert len(data["shared_clips"]) == 1, data["shared_clips"]
    shared = data["shared_clips"][0]
    moments = {name[m["video_id"]]: m for m in shared["moments"]}
    assert set(moments) == {source, host}
    # t_host = t_source + offset; the clip is 7 s of the source from clip_start
    sign = 1 if shared["moments"][0]["video_id"] == world.ids[source] else -1
    assert abs(sign * shared["offset"] - offset) <= OFFSET_TOLERANCE_S
    assert abs(moments[source]["start"] - clip_start) <= OFFSET_TOLERANCE_S
    assert abs(moments[source]["end"] - (clip_start + 7)) <= OFFSET_TOLERANCE_S
    assert abs(moments[host]["start"] - (clip_start + offset)) <= OFFSET_TOLERANCE_S

    family = {"orig_0", *world.copies_of_a}
    for pair in data["pairs"]:  # distinct demo videos: no pair among them
        stems = {name[pair["a"]], name[pair["b"]]}
        assert stems <= family or stems == {source, host}, pair


def test_table_and_python_api_agree(world):
    table = run(world, "duplicates")
    assert "copies 1: 6 videos" in table and "shared clip 1:" in table
    with Session(world.home) as session:
        report = session.duplicates()
        assert report.candidates == 0  # stored by the first run, nothing changed since
        assert len(report.copies()) == 15  # every two of the six copies of orig_0
        assert len(report.clips()) == 1
        stricter = session.duplicates(min_shared=10.0)
        assert not stricter.clips() and len(stricter.copies()) == 15


def test_search_collapses_the_copies_of_a_moment(world):
    query = "a green circle on an orange background"  # orig_0's first scene
    family = {world.ids[s] for s in ("orig_0", *world.copies_of_a)}
    plain = json.loads(run(world, "search", query, "-k", "6", "--json"))["results"]
    assert len([r for r in plain if r["video_id"] in family]) >= 4
    folded = json.loads(run(world, "search", query, "-k", "6", "--json", "--collapse-duplicates"))
    top = folded["results"][0]
    assert top["video_id"] in family
    reached = {top["video_id"]} | {c["video_id"] for c in top["copies"]}
    assert len(reached & family) >= 5, top  # the trimmed copy may lack most of this scene
    others = [r for r in folded["results"][1:] if r["video_id"] in family]
    assert all(r["start"] >= 3.0 for r in others), others  # not the same moment again
    text = run(world, "search", query, "-k", "2", "--collapse-duplicates")
    assert "copy" in text


def test_mcp_search_moments_collapses_when_asked(world):
    from vidseek.mcp.tools import LibraryTools

    family = {world.ids[s] for s in ("orig_0", *world.copies_of_a)}
    query = "a green circle on an orange background"
    with Session(world.home) as session:
        tools = LibraryTools(session)
        plain = tools.search_moments(text=query, k=3)["results"]
        folded = tools.search_moments(text=query, k=3, collapse_duplicates=True)["results"]
    assert all(r["video_id"] in family and "copies" not in r for r in plain)
    assert {c["video_id"] for c in folded[0]["copies"]} | {folded[0]["video_id"]} >= family - {
        world.ids["a_trim3"]
    }
