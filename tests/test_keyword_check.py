"""``vidseek check`` looks at the keyword index too: an index that disagrees with the text
spans is a fixable problem, and ``--repair`` rebuilds it from the spans."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from tests.test_library import MODEL, make_commit
from vidseek.cli.main import cli
from vidseek.core.catalog.text_index import WORDS_TABLE
from vidseek.core.check import check_library
from vidseek.core.library import Library
from vidseek.core.types import TextSpan
from vidseek.search.keyword import search_keywords


def library_with_spans(home: Path) -> None:
    with Library.open(home) as library:
        library.bind_model(MODEL)
        video = library.commit_video(make_commit("/videos/a.mp4", seed=1)).id
        spans = [TextSpan("ocr", 0, 1, "harbour lights"), TextSpan("ocr", 1, 2, "old harbour")]
        library.catalog.replace_text_spans(video, "ocr", spans)


def lose_an_index_entry(home: Path) -> None:
    with Library.open(home) as library, library.catalog.engine.begin() as conn:
        row = conn.execute(text("SELECT id, text FROM text_spans ORDER BY id LIMIT 1")).one()
        t = WORDS_TABLE
        sql = f"INSERT INTO {t}({t}, rowid, text) VALUES ('delete', :i, :t)"
        conn.execute(text(sql), {"i": row[0], "t": row[1]})


def check(home: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["--library", str(home), "check", "--json", "--no-files", *args]
    )
    return json.loads(result.output)


def test_a_healthy_index_is_no_problem(tmp_path: Path) -> None:
    library_with_spans(tmp_path)
    with Library.open(tmp_path, read_only=True) as library:
        assert check_library(library, files=False).clean


def test_check_finds_a_lost_entry_and_repair_rebuilds_it(tmp_path: Path) -> None:
    library_with_spans(tmp_path)
    lose_an_index_entry(tmp_path)
    with Library.open(tmp_path) as library:
        assert len(search_keywords(library, "harbour")) == 1  # one span no longer found
    found = check(tmp_path)
    assert not found["clean"]
    assert [(p["kind"], p["fixable"]) for p in found["problems"]] == [("text-index", True)]
    assert WORDS_TABLE in found["problems"][0]["detail"]
    repaired = check(tmp_path, "--repair")
    assert repaired["clean"], repaired
    assert any("keyword index" in line for line in repaired["repaired"])
    with Library.open(tmp_path) as library:
        assert len(search_keywords(library, "harbour")) == 2
