"""Catalog: text_spans and evidence_runs (migration 5), and libraries made before them."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from tests.test_catalog import DIM, commit, url
from vidseek.core.catalog import SCHEMA_VERSION, Catalog
from vidseek.core.catalog import migrations as mig
from vidseek.core.catalog.engine import make_engine
from vidseek.core.errors import CatalogError, VideoNotFound
from vidseek.core.types import TextSpan


def _catalog_at_version(tmp_path, version: int) -> None:
    """A catalog exactly as a vidseek that knew only migrations 1..version left it."""
    engine = make_engine(url(tmp_path))
    with engine.begin() as conn:
        for number in range(1, version + 1):
            mig.MIGRATIONS[number - 1](conn)
        conn.execute(mig._meta.insert().values(key="schema_version", value=str(version)))
    engine.dispose()


def _old_video(tmp_path, path: str, n_segments: int) -> int:
    engine = make_engine(url(tmp_path))
    with engine.begin() as conn:
        video_id = conn.execute(
            text(
                "INSERT INTO videos (path, content_hash, size, status, n_frames, n_segments) "
                "VALUES (:path, 'h', 1000, 'indexed', 0, :n)"
            ),
            {"path": path, "n": n_segments},
        ).lastrowid
        for i in range(n_segments):
            conn.execute(
                text(
                    'INSERT INTO segments (video_id, start, "end", n_frames, vector) '
                    "VALUES (:v, :s, :e, 1, :vec)"
                ),
                {"v": video_id, "s": 2.0 * i, "e": 2.0 * i + 2, "vec": bytes(4 * DIM)},
            )
    engine.dispose()
    return int(video_id)


def test_a_library_made_before_evidence_opens_through_the_migration(tmp_path) -> None:
    _catalog_at_version(tmp_path, 4)
    engine = make_engine(url(tmp_path))
    assert "text_spans" not in inspect(engine).get_table_names()
    engine.dispose()
    # a video indexed by that vidseek (its code wrote no text_spans rows), written with the
    # columns version 4 has: today's Catalog writes columns added later (creation_time)
    old_id = _old_video(tmp_path, "/v/a.mp4", n_segments=2)

    with pytest.raises(CatalogError, match="needs an upgrade"):
        Catalog.open(url(tmp_path), read_only=True)
    cat = Catalog.open(url(tmp_path))
    assert cat.schema_version() == SCHEMA_VERSION >= 5
    assert {"text_spans", "evidence_runs"} <= set(inspect(cat.engine).get_table_names())
    assert cat.video(old_id).path == "/v/a.mp4"
    assert cat.count_segments() == 2
    assert cat.text_spans() == [] and cat.evidence_status(old_id) == {}
    assert cat.videos_without_evidence("speech") == [old_id]
    cat.close()


def test_spans_replace_per_kind_and_mark_the_run_done(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    vid = cat.replace_video(commit("/v/a.mp4"), DIM)[0].id
    words = [(0.5, 0.9, "hello"), (1.0, 1.4, "world")]
    speech = [TextSpan("speech", 0.5, 1.4, "hello world", "en", "whisper:tiny.en", words)]
    subs = [
        TextSpan("subtitle", 3.0, 4.0, "zwei", "de", "sidecar:a.de.srt"),
        TextSpan("subtitle", 1.0, 2.0, "eins", "de", "sidecar:a.de.srt"),
    ]
    assert cat.replace_text_spans(vid, "speech", speech, model="whisper:tiny.en") == 1
    assert cat.replace_text_spans(vid, "subtitle", subs) == 2
    got = cat.text_spans(vid, "subtitle")
    assert [s.text for s in got] == ["eins", "zwei"]  # by start time
    assert all(s.video_id == vid and s.id for s in got)
    (heard,) = cat.text_spans(kind="speech")
    assert heard.words == words and heard.language == "en"

    # a second run replaces only its own kind
    cat.replace_text_spans(vid, "subtitle", [TextSpan("subtitle", 5.0, 6.0, "drei")])
    assert [s.text for s in cat.text_spans(vid)] == ["hello world", "drei"]
    status = cat.evidence_status(vid)
    assert status["speech"].status == "done" and status["speech"].model == "whisper:tiny.en"
    assert status["subtitle"].spans == 1 and "ocr" not in status
    assert cat.videos_without_evidence("speech") == []
    assert cat.videos_without_evidence("ocr") == [vid]
    cat.close()


def test_a_failure_is_recorded_with_its_reason_and_retried(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    vid = cat.replace_video(commit("/v/a.mp4"), DIM)[0].id
    cat.record_evidence_failure(vid, "ocr", "rapidocr: model file missing", "rapidocr:ppocrv4")
    run = cat.evidence_status(vid)["ocr"]
    assert (run.status, run.error, run.spans) == ("failed", "rapidocr: model file missing", 0)
    assert cat.videos_without_evidence("ocr") == [vid]
    assert cat.video(vid).status == "indexed"  # the visual index is untouched
    cat.replace_text_spans(vid, "ocr", [TextSpan("ocr", 1.0, 2.0, "SALE")])
    assert cat.evidence_status(vid)["ocr"].status == "done"
    assert cat.evidence_status(vid)["ocr"].error is None
    cat.close()


def test_bad_spans_change_nothing(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    vid = cat.replace_video(commit("/v/a.mp4"), DIM)[0].id
    cat.replace_text_spans(vid, "ocr", [TextSpan("ocr", 1.0, 2.0, "KEEP")])
    for bad in (
        [TextSpan("ocr", 2.0, 1.0, "backwards")],
        [TextSpan("ocr", -1.0, 1.0, "negative")],
        [TextSpan("ocr", float("nan"), 1.0, "nan")],
        [TextSpan("speech", 1.0, 2.0, "wrong kind")],
    ):
        with pytest.raises(ValueError):
            cat.replace_text_spans(vid, "ocr", bad)
    with pytest.raises(ValueError, match="unknown kind"):
        cat.replace_text_spans(vid, "subtitles", [])
    with pytest.raises(VideoNotFound):
        cat.replace_text_spans(vid + 99, "ocr", [])
    assert [s.text for s in cat.text_spans(vid)] == ["KEEP"]
    cat.close()


def test_spans_go_with_their_video(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    vid = cat.replace_video(commit("/v/a.mp4"), DIM)[0].id
    other = cat.replace_video(commit("/v/b.mp4", seed=1), DIM)[0].id
    for v in (vid, other):
        cat.replace_text_spans(v, "ocr", [TextSpan("ocr", 1.0, 2.0, f"text {v}")])
    cat.replace_video(commit("/v/a.mp4", seed=2), DIM)  # the file changed: indexed anew
    assert [s.video_id for s in cat.text_spans()] == [other]
    cat.delete_video(other)
    assert cat.text_spans() == [] and cat.count_text_spans() == 0
    cat.close()


def test_evidence_on_postgres() -> None:
    from tests.pg_server import fresh_database

    cat = Catalog.open(fresh_database())
    try:
        vid = cat.replace_video(commit("/v/a.mp4"), DIM)[0].id
        words = [(0.5, 0.9, "grüß"), (1.0, 1.4, "gott")]
        cat.replace_text_spans(
            vid, "speech", [TextSpan("speech", 0.5, 1.4, "Grüß Gott", "de", "w", words)], "w"
        )
        cat.record_evidence_failure(vid, "ocr", "no engine", None)
        (span,) = cat.text_spans(vid)
        assert (span.text, span.words, span.language) == ("Grüß Gott", words, "de")
        status = cat.evidence_status(vid)
        assert (status["speech"].status, status["ocr"].error) == ("done", "no engine")
        assert cat.videos_without_evidence("ocr") == [vid]
        cat.delete_video(vid)
        assert cat.text_spans() == [] and cat.evidence_status(vid) == {}
    finally:
        cat.close()
