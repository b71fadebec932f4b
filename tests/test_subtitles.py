"""Subtitles as evidence: embedded streams in MKV/MP4/WebM, sidecars, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence_media import write_video
from vidseek.core.errors import SubtitleError
from vidseek.indexer.languages import normalize_language
from vidseek.indexer.subtitles import extract_subtitles, find_sidecars, read_sidecar

GERMAN = [(0.5, 1.5, "Hallo Welt"), (2.0, 2.9, "Zweiter <i>Satz</i>")]
ENGLISH = [(0.5, 1.5, "Hello world")]


def _cues(result, source):
    return [(s.start, s.end, s.text, s.language) for s in result.spans if s.source == source]


@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".webm"])
def test_embedded_text_streams_with_their_languages(tmp_path, suffix) -> None:
    video = write_video(
        tmp_path / f"v{suffix}",
        subtitles=[("ger", "default", GERMAN), ("eng", "default", ENGLISH)],
    )
    result = extract_subtitles(video)
    assert result.sources == ["stream:1", "stream:2"] and not result.failures
    assert _cues(result, "stream:1") == [
        (0.5, 1.5, "Hallo Welt", "de"),
        (2.0, 2.9, "Zweiter Satz", "de"),
    ]
    assert _cues(result, "stream:2") == [(0.5, 1.5, "Hello world", "en")]
    assert all(s.kind == "subtitle" for s in result.spans)


def test_ass_stream_in_mkv_loses_its_markup(tmp_path) -> None:
    cues = [(1.0, 2.0, r"{\i1}Schräg{\i0}\Nund gerade")]
    video = write_video(tmp_path / "v.mkv", subtitles=[(None, "ass", cues)])
    result = extract_subtitles(video)
    assert _cues(result, "stream:1") == [(1.0, 2.0, "Schräg und gerade", None)]


def test_sidecars_next_to_the_video(tmp_path) -> None:
    video = write_video(tmp_path / "trip.v2.mp4")
    (tmp_path / "trip.v2.srt").write_text("1\n00:00:01,000 --> 00:00:02,500\nPlain\n\n")
    (tmp_path / "trip.v2.en.vtt").write_text(
        "WEBVTT\n\n00:00:00.250 --> 00:00:01.000\n<b>Hello</b> there\n"
    )
    (tmp_path / "trip.v2.de.ass").write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,{\\b1}Grüße{\\b0} aus Köln\n"
        "Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,not shown\n",
        encoding="utf-8-sig",
    )
    (tmp_path / "trip.v2.pt-BR.forced.srt").write_text(
        "1\n00:00:04,000 --> 00:00:05,000\nOlá\n", encoding="utf-16"
    )
    (tmp_path / "trip.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nanother video\n")
    assert [p.name for p in find_sidecars(video)] == [
        "trip.v2.de.ass", "trip.v2.en.vtt", "trip.v2.pt-BR.forced.srt", "trip.v2.srt",
    ]  # fmt: skip
    result = extract_subtitles(video)
    assert not result.failures and not result.notes
    got = [(s.start, s.end, s.text, s.language, s.source) for s in result.spans]
    assert got == [
        (0.25, 1.0, "Hello there", "en", "sidecar:trip.v2.en.vtt"),
        (1.0, 2.5, "Plain", None, "sidecar:trip.v2.srt"),
        (2.0, 3.0, "Grüße aus Köln", "de", "sidecar:trip.v2.de.ass"),
        (4.0, 5.0, "Olá", "pt", "sidecar:trip.v2.pt-BR.forced.srt"),
    ]


def test_each_bad_file_gets_its_own_clear_message(tmp_path) -> None:
    video = write_video(tmp_path / "v.mkv", subtitles=[("eng", "default", ENGLISH)])
    (tmp_path / "v.garbage.srt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "v.fr.srt").write_bytes(
        "1\n00:00:01,000 --> 00:00:02,000\nCafé crème\n".encode("cp1252")
    )
    (tmp_path / "v.es.vtt").write_text("this is just a note, no cues at all\n")
    result = extract_subtitles(video)
    assert result.sources == ["stream:1"] and not result.failed
    assert [s.text for s in result.spans] == ["Hello world"]
    messages = "\n".join(result.failures)
    assert "v.garbage.srt: binary data, not a subtitle text file" in messages
    assert "v.fr.srt: not UTF-8 text (byte 0xe9 on line 3)" in messages
    assert "save it as UTF-8" in messages
    assert "v.es.vtt: no subtitle cues found" in messages
    assert len(result.failures) == 3


def test_only_bad_sources_means_failed(tmp_path) -> None:
    video = write_video(tmp_path / "v.mp4")
    (tmp_path / "v.srt").write_bytes(b"\x00\x01\x02garbage")
    result = extract_subtitles(video)
    assert result.failed and result.spans == []
    with pytest.raises(SubtitleError, match="v.srt: binary data"):
        read_sidecar(tmp_path / "v.srt")


def test_negative_backwards_and_overlapping_cues(tmp_path) -> None:
    video = write_video(tmp_path / "v.mp4")
    (tmp_path / "v.en.srt").write_text(
        "1\n-00:00:03,000 --> -00:00:01,000\nbefore the start\n\n"
        "2\n00:00:05,000 --> 00:00:04,000\nbackwards\n\n"
        "3\n00:00:01,000 --> 00:00:03,000\nfirst speaker\n\n"
        "4\n00:00:02,000 --> 00:00:04,000\nsecond speaker\n\n"
    )
    (tmp_path / "v.de.ass").write_text(
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
        "Text\nDialogue: 0,-0:00:01.00,0:00:02.00,Default,,0,0,0,,früh\n"
    )
    result = extract_subtitles(video)
    texts = {s.source: [] for s in result.spans}
    for s in result.spans:
        texts[s.source].append((s.start, s.end, s.text))
    assert texts["sidecar:v.en.srt"] == [(1.0, 3.0, "first speaker"), (2.0, 4.0, "second speaker")]
    notes = "\n".join(result.notes)
    assert "sidecar:v.en.srt: 1 cue(s) with negative times skipped" in notes
    assert "sidecar:v.en.srt: 1 cue(s) ending before they start dropped" in notes
    assert "sidecar:v.en.srt: 1 cue(s) overlapping the cue before them kept" in notes
    assert texts["sidecar:v.de.ass"] == [(0.0, 2.0, "früh")]
    assert "sidecar:v.de.ass: 1 cue(s) starting before 0 s moved to 0 s" in notes


def test_language_tags() -> None:
    assert [normalize_language(t) for t in ("ger", "deu", "en", "pt-BR", "und", "", None)] == [
        "de", "de", "en", "pt", None, None, None,
    ]  # fmt: skip
    assert normalize_language("forced!") is None


def test_a_file_that_is_no_container_is_one_failure(tmp_path) -> None:
    bogus = tmp_path / "v.mkv"
    bogus.write_bytes(b"not a video")
    (tmp_path / "v.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nstill read\n")
    result = extract_subtitles(bogus)
    assert [s.text for s in result.spans] == ["still read"]
    assert len(result.failures) == 1 and "v.mkv: cannot open the container" in result.failures[0]


def test_no_subtitles_at_all(tmp_path: Path) -> None:
    result = extract_subtitles(write_video(tmp_path / "v.mp4"))
    assert (result.spans, result.sources, result.failures, result.failed) == ([], [], [], False)


def test_a_truncated_file_keeps_the_cues_before_the_damage(tmp_path) -> None:
    cues = [(0.2 + i, 0.8 + i, f"cue {i}") for i in range(3)]
    whole = write_video(tmp_path / "whole.mkv", seconds=3.0, subtitles=[("eng", "default", cues)])
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 2 // 3])
    result = extract_subtitles(cut)  # never raises: a damaged file is a note or a failure
    assert not result.failed
    texts = [s.text for s in result.spans]
    assert texts == [t for _, _, t in cues][: len(texts)]
