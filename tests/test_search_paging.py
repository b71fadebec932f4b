"""Paging: pages are slices of one ranked window, so they never overlap and ``total`` holds;
through the Searcher and through ``vidseek search --offset``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.search_library import DIM, FakeEncoder, open_library
from vidseek.cli.main import cli
from vidseek.core.errors import QueryError
from vidseek.search.paging import MAX_OFFSET, RESULT_WINDOW, cut_page, result_window
from vidseek.search.query import MAX_K, Searcher, SearchOptions
from vidseek.search.results import page_of


def test_pages_cover_the_list_once_and_say_where_the_next_starts():
    items = list(range(7))
    pages, offset = [], 0
    while offset is not None:
        page = cut_page(items, offset, 3)
        assert page.total == 7 and page.offset == offset
        pages.append(page.items)
        offset = page.next_offset
    assert pages == [[0, 1, 2], [3, 4, 5], [6]]
    past = cut_page(items, 7, 3)
    assert past.items == [] and past.next_offset is None
    assert cut_page([], 0, 3).next_offset is None


@pytest.mark.parametrize(("offset", "k"), [(-1, 3), (0, 0), (MAX_OFFSET + 1, 3)])
def test_bad_pages_are_query_errors(offset, k):
    with pytest.raises(QueryError):
        cut_page([1, 2], offset, k)
    with pytest.raises(QueryError):
        result_window(offset, k)


def test_the_window_reaches_the_page_but_not_past_the_limit():
    assert result_window(0, 10) == RESULT_WINDOW
    assert result_window(RESULT_WINDOW, 10) == RESULT_WINDOW + 10
    assert result_window(MAX_K, 10) == MAX_K
    with pytest.raises(QueryError):
        result_window(0, MAX_K + 1)


def test_searcher_pages_concatenate_to_the_whole_window(tmp_path: Path):
    paths = [f"/videos/{i}.mp4" for i in range(8)]
    with open_library(tmp_path / "lib", paths) as library:
        searcher = Searcher(library, FakeEncoder())  # type: ignore[arg-type]
        query = np.ones(DIM, dtype=np.float32)
        clips = searcher.search_vector(query, SearchOptions(k=result_window(0, 4)))
        assert len(clips) == 8 * 5  # every segment is a clip: none touch
        seen, offset = [], 0
        while offset is not None:
            page = page_of(clips, offset, 4)
            assert page.total == len(clips)
            seen += page.items
            offset = page.next_offset
        assert seen == clips
        scores = [c.score for c in seen]
        assert scores == sorted(scores, reverse=True)


def run(library: Path, *args: str):
    """The CLI with no confidence cut-off: these tests page through whole ranked windows."""
    if args and args[0] == "search":
        args = (*args, "--min-confidence", "0")
    return CliRunner().invoke(cli, ["--library", str(library), *args], catch_exceptions=False)


def search_json(library: Path, *args: str) -> dict:
    result = run(library, "search", "a red star", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def key(item: dict) -> tuple:
    return item["video_id"], item["start"], item["end"]


def test_cli_offset_pages_do_not_overlap(demo_library: Path):
    whole = search_json(demo_library, "-k", "200")
    total = whole["total"]
    assert total == len(whole["results"]) >= 5 and whole["next_offset"] is None
    seen, offset = [], 0
    while offset is not None:
        page = search_json(demo_library, "-k", "2", "--offset", str(offset))
        assert page["total"] == total and page["offset"] == offset and page["k"] == 2
        assert page["query"] == "a red star" and page["group_by"] == "clip"
        seen += [key(r) for r in page["results"]]
        offset = page["next_offset"]
    assert seen == [key(r) for r in whole["results"]]
    past = search_json(demo_library, "-k", "4", "--offset", str(total))
    assert past["results"] == [] and past["next_offset"] is None


def test_cli_table_numbers_ranks_from_the_offset_and_points_to_the_next_page(demo_library):
    result = run(demo_library, "search", "a red star", "-k", "2", "--offset", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["4", "5"]
    assert lines[-1] == "more: --offset 5"


def test_cli_rejects_a_negative_offset(demo_library):
    assert run(demo_library, "search", "x", "--offset", "-1").exit_code == 2
    assert run(demo_library, "search", "x", "-k", str(MAX_K + 1)).exit_code == 2
