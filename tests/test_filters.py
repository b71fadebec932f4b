"""Video filters: duration, frame size, file date, the container's creation time, language,
speech and subtitles; catalog queries that combine with each other, the path prefix, paging
and grouping (search/filters.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests import search_library
from tests.sharper_world import JAN_2020, VIDEOS, sharper_world, tag_creation_time
from vidseek.core.errors import QueryError
from vidseek.core.types import TextSpan
from vidseek.indexer.decode import creation_time
from vidseek.search.filters import (
    VideoFilter,
    allowed_videos,
    split_video_filter,
    to_epoch,
    videos_matching,
)
from vidseek.search.query import SearchOptions, search_vector
from vidseek.session import Session

ALL = {spec.name for spec in VIDEOS}


@pytest.fixture(scope="module")
def world():
    return sharper_world()


@pytest.fixture(scope="module")
def library(world):
    with Session(world.home) as session:
        yield session


def names(world, **filters) -> set[str]:
    with Session(world.home) as session:
        _, video_filter = split_video_filter(filters)
        assert video_filter is not None
        return {world.name_of(v) for v in videos_matching(session.library(), video_filter)}


def test_duration(world):
    assert names(world, max_duration=5) == {"red_short"}  # 4 s
    assert names(world, min_duration=12) == {"a_gap_b"}  # 16 s
    assert names(world, min_duration=8, max_duration=8) == ALL - {"red_short", "a_gap_b"}


def test_resolution(world):
    assert names(world, min_height=200) == {"b_then_a", "blue_circle"}  # 320x240
    assert names(world, max_width=160) == ALL - {"b_then_a", "blue_circle"}
    assert names(world, min_width=161, max_height=239) == set()
    assert names(world, min_height=200, max_height=100) == set()  # inverted: nothing


def test_file_date(world):
    assert names(world, modified_after="2020-03-01") == {"b_then_a", "a_gap_b"}
    assert names(world, modified_before=date(2020, 1, 2)) == ALL - {"b_then_a", "a_gap_b"}
    assert names(world, modified_after=JAN_2020 + 150 * 86_400) == {"a_gap_b"}


def test_creation_time_comes_from_the_container(world):
    assert names(world, created_after="2022-01-01") == {"a_gap_b"}  # 2023-03-15
    # videos without the tag match no creation range
    assert names(world, created_before="2022-01-01T00:00:00Z") == {"b_then_a"}
    assert names(world, created_after="2021-06-01T13:00:00+01:00") == {"b_then_a", "a_gap_b"}


def test_filters_combine_with_the_path_prefix_and_each_other(library, world):
    big = str(world.folder / "big") + "/"
    lib = library.library()
    wide = VideoFilter(min_width=300)
    assert allowed_videos(lib, None, [big], wide) == tuple(
        sorted(world.ids[n] for n in ("b_then_a", "blue_circle"))
    )
    small = str(world.folder / "small") + "/"
    assert allowed_videos(lib, None, [small], wide) == ()
    assert allowed_videos(lib, [world.ids["red_short"]], None, VideoFilter(max_duration=5)) == (
        world.ids["red_short"],
    )


def test_search_with_filters_pages_and_groups(library, world):
    filters = {"min_score": 0.5, "max_height": 150, "modified_before": "2020-12-31"}
    found = library.search("a red circle", k=10, **filters)
    small = {"a_then_b", "red_on_black", "a_gap_b", "red_short"}
    assert {world.name_of(c.video_id) for c in found} == small
    assert library.search("a red circle", k=2, **filters) == found[:2]
    assert library.search("a red circle", per_video=1, created_after=2e9, **filters) == []


def test_cli_filters_page_and_group(world):
    import json

    from click.testing import CliRunner

    from vidseek.cli.main import cli

    def run(*args: str) -> dict:
        result = CliRunner().invoke(
            cli, ["--library", str(world.home), "search", "a red circle", "--json", *args]
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    page = run("--min-score", "0.5", "--max-height", "150", "-k", "2", "--offset", "2")
    assert page["total"] == 4 and page["offset"] == 2 and len(page["results"]) == 2
    by_video = run("--min-score", "0.5", "--min-duration", "6", "--group-by", "video")
    assert {world.name_of(g["video_id"]) for g in by_video["groups"]} == {
        "a_then_b",
        "b_then_a",
        "a_gap_b",
        "red_on_black",
    }
    dated = run("--created-after", "2022-01-01", "--modified-after", "2020-06-01")
    assert {world.name_of(c["video_id"]) for c in dated["results"]} == {"a_gap_b"}
    bad = CliRunner().invoke(
        cli, ["--library", str(world.home), "search", "x", "--created-after", "yesterday"]
    )
    assert bad.exit_code != 0 and "ISO 8601" in bad.output
    upside_down = CliRunner().invoke(
        cli, ["--library", str(world.home), "search", "x", "--min-height", "9", "--max-height", "3"]
    )
    assert upside_down.exit_code == 2 and "is above max_height" in upside_down.output


def test_language_speech_and_subtitles(tmp_path):
    """On the catalog's text_spans (speech and subtitles found at indexing)."""
    lib = search_library.open_library(tmp_path / "lib", ["/v/a.mp4", "/v/b.mp4", "/v/c.mp4"])
    a, b, c = (lib.catalog.find_by_path(p).id for p in ("/v/a.mp4", "/v/b.mp4", "/v/c.mp4"))
    lib.catalog.replace_text_spans(a, "speech", [TextSpan("speech", 0, 1, "hallo", "de")])
    lib.catalog.replace_text_spans(b, "subtitle", [TextSpan("subtitle", 0, 1, "hi", "en")])
    lib.catalog.replace_text_spans(c, "ocr", [TextSpan("ocr", 0, 1, "STOP", "en")])

    def ids(**kwargs) -> set[int]:
        return videos_matching(lib, VideoFilter(**kwargs))

    assert ids(has_speech=True) == {a}
    assert ids(has_speech=False) == {b, c}
    assert ids(has_subtitles=True) == {b}
    assert ids(languages=("en",)) == {b}  # on-screen text says nothing of the language
    assert ids(languages=("DE-AT", "fr")) == {a}
    assert ids(languages=("en",), has_speech=True) == set()
    vector = search_library.unit(__import__("numpy").random.default_rng(0), 1)[0]
    options = SearchOptions(k=10, video_filter=VideoFilter(has_subtitles=True))
    assert {clip.video_id for clip in search_vector(lib, vector, options)} == {b}
    lib.close()


def test_bad_filters_are_query_errors():
    inverted = VideoFilter(min_duration=10, max_duration=5)
    assert inverted.inverted() == ["min_duration (10) is above max_duration (5)"]
    with pytest.raises(QueryError, match="at least 0"):
        VideoFilter(min_height=-1).validate()
    with pytest.raises(QueryError, match="ISO 8601"):
        to_epoch("last tuesday")
    with pytest.raises(QueryError, match="finite"):
        to_epoch(float("nan"))
    with pytest.raises(QueryError, match="not one string"):
        VideoFilter(languages="en").validate()  # type: ignore[arg-type]
    assert to_epoch("2020-01-01") == JAN_2020 == to_epoch(datetime(2020, 1, 1))
    assert to_epoch("2020-01-01T02:00:00+02:00") == JAN_2020
    assert to_epoch("2019-12-31", end_of_day=True) == JAN_2020 - 1e-6
    assert to_epoch(date(2019, 12, 31), end_of_day=True) == JAN_2020 - 1e-6
    # "before a day" includes the whole day
    assert split_video_filter({"modified_before": "2019-12-31"})[1].modified_before < JAN_2020
    assert split_video_filter({"modified_before": "2020-01-01"})[1].modified_before > JAN_2020


def test_the_creation_time_tag(tmp_path):
    assert creation_time({"creation_time": "2021-06-01T12:00:00.000000Z"}) == 1_622_548_800.0
    assert creation_time({"creation_time": "2021-06-01 12:00:00"}) == 1_622_548_800.0
    assert creation_time({"creation_time": "1970-01-01T00:00:00Z"}) is None  # muxers' zero
    assert creation_time({"creation_time": "garbage"}) is None
    assert creation_time({}) is None


def test_tagging_keeps_the_video(tmp_path):
    from vidseek.demo.render import write_video
    from vidseek.demo.world import Scene
    from vidseek.indexer.decode import probe_header

    path = tmp_path / "v.mp4"
    write_video(path, [Scene(0, 1, "star", "red", "blue")], width=64, height=48, fps=5)
    assert probe_header(path, "pyav").info.creation_time is None
    tag_creation_time(path, "2020-01-01T00:00:00Z")
    info = probe_header(path, "pyav").info
    assert info.creation_time == JAN_2020 and (info.width, info.height) == (64, 48)


def test_mcp_tool_takes_the_sharper_questions(world, tmp_path):
    """``search_moments`` as the MCP server calls it (mcp_server/tools.py)."""
    from vidseek.mcp.tools import LibraryTools

    picture = tmp_path / "red.png"
    from PIL import Image

    from vidseek.demo.render import render_frame
    from vidseek.demo.world import Scene

    Image.fromarray(render_frame(Scene(0, 4, "circle", "red", "white"), 2.0, 256, 256)).save(
        picture
    )
    with Session(world.home) as session:
        tools = LibraryTools(session)

        def found(**kwargs) -> set[str]:
            out = tools.search_moments(**kwargs)
            return {world.name_of(r["video_id"]) for r in out["results"]}

        red = {"text": "a red circle", "min_score": 0.5, "min_confidence": 0.0}
        assert found(**red, then="a blue square") == {"a_then_b", "a_gap_b"}
        assert found(**red, then="a blue square", max_gap=5) == {"a_then_b"}
        assert "red_on_black" not in found(**red, not_texts=["a black background"])
        assert found(**red, min_height=200, created_after="2021-01-01") == {"b_then_a"}
        assert found(image_path=str(picture), text="blue", k=1) == {"blue_circle"}
        with pytest.raises(QueryError, match="then follows a text"):
            tools.search_moments(image_path=str(picture), then="a blue square")
        with pytest.raises(QueryError, match="unknown filters"):
            tools.search_moments(text="x", min_lenght=3)


def test_videos_indexed_before_migration_7_have_no_creation_time(tmp_path):
    from sqlalchemy import text

    from vidseek.core.catalog import migrations
    from vidseek.core.catalog.engine import make_engine
    from vidseek.core.library import Library

    home = tmp_path / "lib"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'catalog.sqlite'}")
    with engine.begin() as conn:
        for step in migrations.MIGRATIONS[:6]:
            step(conn)
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '6')"))
        conn.execute(
            text(
                "INSERT INTO videos (id, path, content_hash, size, duration, status, n_frames, "
                "n_segments) VALUES (1, '/v/old.mp4', 'h', 1, 30.0, 'indexed', 0, 0)"
            )
        )
    engine.dispose()
    with Library.open(home) as lib:
        assert lib.catalog.schema_version() == migrations.SCHEMA_VERSION >= 7
        assert videos_matching(lib, VideoFilter(min_duration=10)) == {1}
        assert videos_matching(lib, VideoFilter(created_after=0)) == set()
        assert videos_matching(lib, VideoFilter(created_before=4e9)) == set()
