"""Searching what is said and written, end to end: the CLI's ``--in``, the Python API's
``modalities=``, the HTTP API's ``modalities=`` and the MCP tool, over a library indexed with
the demo model whose videos were given speech, subtitle and on-screen text spans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import vidseek
from vidseek.cli.main import cli
from vidseek.core.library import Library
from vidseek.core.types import TextSpan
from vidseek.demo.render import generate_library

MODEL = "vidseek-demo:random"
WORDS = [(2.0, 2.3, " the"), (2.3, 2.9, " lighthouse"), (2.9, 3.5, " keeper"), (3.5, 4.0, " waves")]


def run(library: Path, *args: str):
    return CliRunner().invoke(
        cli, ["--library", str(library), "--model", MODEL, *args], catch_exceptions=False
    )


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """A library of three short videos: the second says "the lighthouse keeper waves", the
    third shows "KEEPER" on screen and has a German subtitle."""
    media = tmp_path_factory.mktemp("media")
    generate_library(media, 3, seed=21, duration=(4.0, 5.0), size=(96, 64), fps=8)
    home = tmp_path_factory.mktemp("library")
    result = run(home, "index", "--no-progress", str(media))
    assert result.exit_code == 0, result.output
    with Library.open(home) as library:
        ids = [v.id for v in library.videos()]
        speech = TextSpan("speech", 2.0, 4.0, "the lighthouse keeper waves", "en", words=WORDS)
        library.catalog.replace_text_spans(ids[1], "speech", [speech])
        library.catalog.replace_text_spans(ids[2], "ocr", [TextSpan("ocr", 1.0, 2.0, "KEEPER")])
        library.catalog.replace_text_spans(
            ids[2], "subtitle", [TextSpan("subtitle", 0.0, 1.5, "Der Leuchtturmwärter", "de")]
        )
    return home, ids


def test_cli_finds_spoken_words_first_with_their_time(spoken) -> None:
    home, ids = spoken
    result = run(home, "search", "lighthouse keeper", "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)["results"][0]
    assert first["video_id"] == ids[1]
    assert "speech" in first["matched"] and first["start"] == 2.3  # the word "lighthouse"
    assert first["snippet"] == {
        "text": "the lighthouse keeper waves",
        "kind": "speech",
        "start": 2.3,
        "end": 3.5,
        "language": "en",
    }


def test_cli_in_restricts_the_evidence(spoken) -> None:
    home, ids = spoken
    only_ocr = json.loads(run(home, "search", "keeper", "--in", "ocr", "--json").output)
    assert [(r["video_id"], r["matched"]) for r in only_ocr["results"]] == [(ids[2], ["ocr"])]
    subtitles = json.loads(
        run(home, "search", "leuchtturmwarter", "--in", "subtitles", "--json").output
    )
    assert [r["snippet"]["language"] for r in subtitles["results"]] == ["de"]
    visual = json.loads(run(home, "search", "keeper", "--in", "visual", "--json").output)
    assert visual["results"] and all(r["matched"] == ["visual"] for r in visual["results"])
    bad = run(home, "search", "keeper", "--in", "speech,smell")
    assert bad.exit_code == 2 and "smell" in bad.output
    batch = CliRunner().invoke(
        cli,
        ["--library", str(home), "--model", MODEL, "search", "--batch", "-", "--in", "ocr"],
        input="keeper\nlighthouse\n",
    )
    lines = [json.loads(line) for line in batch.output.splitlines()]
    assert [[r["video_id"] for r in line["results"]] for line in lines] == [[ids[2]], []]


def test_cli_table_shows_the_evidence_and_the_words(spoken) -> None:
    home, _ = spoken
    result = run(home, "search", "lighthouse keeper", "-k", "2")
    assert result.exit_code == 0, result.output
    assert "[visual speech]" in result.output or "[speech]" in result.output
    assert "speech at 00:00:02.3 (en): the lighthouse keeper waves" in result.output


def test_python_api_takes_modalities(spoken) -> None:
    home, ids = spoken
    with vidseek.open_library(home, model=MODEL) as library:
        clips = library.search("keeper", k=5, modalities=("speech", "ocr"))
        assert {(c.video_id, tuple(c.matched)) for c in clips} == {
            (ids[1], ("speech",)),
            (ids[2], ("ocr",)),
        }
        assert all(c.snippet for c in clips)
        assert library._text_encoder is None and library._encoder is None  # no model loaded


def test_http_api_takes_modalities_and_returns_matched_and_snippet(spoken) -> None:
    from tests.api_server import BuiltLibrary, live_server, server_config

    home, ids = spoken
    built = BuiltLibrary(home, home, (), MODEL)
    with live_server(server_config(built)) as server, server.client() as client:
        got = client.get("/search", params={"q": "lighthouse keeper", "k": 3}).json()
        first = got["results"][0]
        assert (first["video_id"], first["start"]) == (ids[1], 2.3)
        assert "speech" in first["matched"] and first["snippet"]["kind"] == "speech"
        assert first["stream_url"].endswith("#t=2.3")
        posted = client.post("/search", json={"q": "keeper", "modalities": ["ocr"]}).json()
        assert [(m["video_id"], m["matched"]) for m in posted["results"]] == [(ids[2], ["ocr"])]
        repeated = client.get("/search", params=[("q", "keeper"), ("modalities", "subtitles")])
        assert repeated.status_code == 200 and repeated.json()["results"] == []
        joined = client.get("/search", params={"q": "keeper", "modalities": "ocr,speech"}).json()
        assert {m["video_id"] for m in joined["results"]} == {ids[1], ids[2]}
        assert (
            client.get("/search", params={"q": "keeper", "modalities": "ocr,"}).status_code == 422
        )
        bad = client.post("/search", json={"q": "keeper", "modalities": ["smell"]})
        assert bad.status_code == 422
        # spans stored while the server runs are found at once (the result cache follows them)
        assert (
            client.get("/search", params={"q": "zebra", "modalities": "ocr"}).json()["total"] == 0
        )
        with Library.open(home) as library:
            library.catalog.replace_text_spans(ids[0], "ocr", [TextSpan("ocr", 0, 1, "ZEBRA")])
        try:
            found = client.get("/search", params={"q": "zebra", "modalities": "ocr"}).json()
            assert [m["video_id"] for m in found["results"]] == [ids[0]]
        finally:
            with Library.open(home) as library:
                library.catalog.replace_text_spans(ids[0], "ocr", [])


def test_mcp_search_moments_takes_modalities(spoken) -> None:
    from vidseek.core.errors import QueryError
    from vidseek.mcp.tools import LibraryTools

    home, ids = spoken
    with vidseek.open_library(home, model=MODEL) as session:
        tools = LibraryTools(session)
        out = tools.search_moments(text="keeper", modalities=["ocr", "subtitles"])
        assert [(r["video_id"], r["matched"]) for r in out["results"]] == [(ids[2], ["ocr"])]
        assert out["results"][0]["snippet"]["text"] == "KEEPER"
        everything = tools.search_moments(text="lighthouse keeper", k=2)
        assert everything["results"][0]["snippet"]["start"] == 2.3
        with pytest.raises(QueryError, match="seen only"):
            tools.search_moments(image_path=str(home), modalities=["speech"])
