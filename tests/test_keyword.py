"""Keyword search over text spans, on SQLite (FTS5) and PostgreSQL (tsvector + GIN): words with
case and accents folded, phrases, Chinese without spaces, BM25 order, times of matched words,
and an index that follows every write (replace, delete, remove video) in the same transaction.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.pg_server import fresh_database
from tests.test_library import MODEL, make_commit
from vidseek.core.library import Library
from vidseek.core.types import TextSpan
from vidseek.search.keyword import search_keywords

SPEECH = [
    TextSpan(
        "speech",
        1.0,
        4.0,
        "The red balloon floats over the old bridge.",
        "en",
        words=[
            (1.0, 1.2, " The"),
            (1.2, 1.5, " red"),
            (1.5, 2.0, " balloon"),
            (2.0, 2.5, " floats"),
            (2.5, 2.8, " over"),
            (2.8, 3.0, " the"),
            (3.0, 3.4, " old"),
            (3.4, 4.0, " bridge."),
        ],
    ),
    TextSpan("speech", 6.0, 8.0, "A bridge, a balloon, and red paint everywhere.", "en"),
]
SUBTITLES = [
    TextSpan("subtitle", 0.5, 2.5, "Le café est fermé à Genève.", "fr"),
    TextSpan("subtitle", 3.0, 5.0, "Der Ballon über der Brücke.", "de"),
]
OCR = [
    TextSpan("ocr", 2.0, 3.0, "北京欢迎你", "zh"),
    TextSpan("ocr", 5.0, 6.0, "上海火车站", "zh"),
]


@pytest.fixture(params=["sqlite", "postgres"])
def library(request: pytest.FixtureRequest, tmp_path: Path):
    url = fresh_database() if request.param == "postgres" else None
    lib = Library.open(tmp_path / "lib", catalog_url=url)
    lib.bind_model(MODEL)
    for seed in range(3):
        lib.commit_video(make_commit(f"/videos/{seed}.mp4", seed=seed))
    ids = [v.id for v in lib.videos()]
    lib.catalog.replace_text_spans(ids[0], "speech", SPEECH)
    lib.catalog.replace_text_spans(ids[1], "subtitle", SUBTITLES)
    lib.catalog.replace_text_spans(ids[2], "ocr", OCR)
    yield lib
    lib.close()


def texts(hits) -> list[str]:
    return [h.text for h in hits]


def test_every_word_must_occur_case_folded(library) -> None:
    hits = search_keywords(library, "BALLOON Red")
    assert set(texts(hits)) == {SPEECH[0].text, SPEECH[1].text}
    assert search_keywords(library, "balloon zebra") == []


def test_accents_fold_both_ways(library) -> None:
    assert texts(search_keywords(library, "cafe ferme geneve")) == [SUBTITLES[0].text]
    assert texts(search_keywords(library, "CAFÉ")) == [SUBTITLES[0].text]
    assert texts(search_keywords(library, "brucke")) == [SUBTITLES[1].text]
    assert texts(search_keywords(library, "Brücke")) == [SUBTITLES[1].text]


def test_quoted_phrase_needs_the_words_together(library) -> None:
    assert texts(search_keywords(library, '"red balloon"')) == [SPEECH[0].text]
    assert texts(search_keywords(library, '"balloon red"')) == []


def test_exact_whole_query_ranks_before_scattered_words(library) -> None:
    # BM25 alone prefers neither strongly; the exact phrase comes first regardless
    hits = search_keywords(library, "red balloon")
    assert [h.exact for h in hits] == [True, False]
    assert hits[0].text == SPEECH[0].text


def test_chinese_substrings_without_spaces(library) -> None:
    assert texts(search_keywords(library, "北京")) == [OCR[0].text]  # 2 characters: LIKE
    assert texts(search_keywords(library, "欢迎你")) == [OCR[0].text]  # 3: trigram index
    assert texts(search_keywords(library, "火车站")) == [OCR[1].text]
    assert search_keywords(library, "广州") == []


def test_hits_carry_times_matched_words_for_speech(library) -> None:
    (hit,) = search_keywords(library, "floats over")
    assert (hit.kind, hit.span_start, hit.span_end) == ("speech", 1.0, 4.0)
    assert (hit.start, hit.end, hit.timed) == (2.0, 2.8, True)  # "floats" at 2.0, "over" to 2.8
    (sub,) = search_keywords(library, "ballon")
    assert (sub.kind, sub.start, sub.end, sub.language) == ("subtitle", 3.0, 5.0, "de")
    assert sub.snippet() == {
        "text": SUBTITLES[1].text,
        "kind": "subtitle",
        "start": 3.0,
        "end": 5.0,
        "language": "de",
    }


def test_bm25_prefers_the_shorter_span_for_the_same_words(library) -> None:
    vid = library.videos()[0].id
    library.catalog.replace_text_spans(
        vid,
        "ocr",
        [
            TextSpan("ocr", 0, 1, "lighthouse " + "filler words here " * 20),
            TextSpan("ocr", 1, 2, "lighthouse"),
        ],
    )
    hits = search_keywords(library, "lighthouse")
    assert texts(hits)[0] == "lighthouse"
    assert hits[0].score > hits[1].score


def test_filters_by_kind_and_video(library) -> None:
    ids = [v.id for v in library.videos()]
    assert search_keywords(library, "balloon", kinds=("subtitle", "ocr")) == []
    assert texts(search_keywords(library, "ballon", kinds=("subtitle",))) == [SUBTITLES[1].text]
    assert search_keywords(library, "balloon", video_ids=[ids[1]]) == []
    assert search_keywords(library, "balloon", exclude_video_ids=[ids[0]]) == []
    assert len(search_keywords(library, "balloon", video_ids=[ids[0]])) == 2
    assert len(search_keywords(library, "balloon", limit=1)) == 1
    many = [*range(10**6, 10**6 + 70_000), ids[0]]  # more than PostgreSQL allows per statement
    assert len(search_keywords(library, "balloon", video_ids=many)) == 2
    assert search_keywords(library, "balloon", exclude_video_ids=many) == []


def test_typed_operators_are_plain_words(library) -> None:
    for query in ("balloon OR zebra", "NEAR(red balloon)", "red*", "-balloon", "bal:loon", '"'):
        search_keywords(library, query)  # never a syntax error
    assert search_keywords(library, "balloon OR zebra") == []


def test_index_follows_replace_and_video_removal(library) -> None:
    ids = [v.id for v in library.videos()]
    library.catalog.replace_text_spans(ids[0], "speech", [TextSpan("speech", 0, 1, "zebra")])
    assert search_keywords(library, "floats") == []
    assert texts(search_keywords(library, "zebra")) == ["zebra"]
    library.remove_video(ids[0])
    assert search_keywords(library, "zebra") == []
    assert search_keywords(library, "欢迎") != []


def test_spans_written_before_the_index_existed_are_found(tmp_path) -> None:
    """Migration 6 indexes the spans that a catalog at version 5 already held."""
    from vidseek.core.catalog import migrations
    from vidseek.core.catalog.engine import make_engine

    home = tmp_path / "lib"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'catalog.sqlite'}")
    with engine.begin() as conn:
        for step in migrations.MIGRATIONS[:5]:
            step(conn)
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '5')"))
        conn.execute(
            text(
                "INSERT INTO videos (id, path, content_hash, size, status, n_frames, n_segments) "
                "VALUES (1, '/videos/a.mp4', 'h', 1, 'indexed', 0, 0)"
            )
        )
        conn.execute(
            text(
                'INSERT INTO text_spans (video_id, kind, start, "end", text) '
                "VALUES (1, 'ocr', 0, 1, 'Crème brûlée 北京欢迎你')"
            )
        )
    engine.dispose()
    lib = Library.open(home)
    assert lib.catalog.schema_version() == migrations.SCHEMA_VERSION
    assert len(search_keywords(lib, "creme brulee")) == 1
    assert len(search_keywords(lib, "欢迎你")) == 1
    lib.close()


def test_an_exact_match_cut_by_the_limit_is_still_found_and_scored_alike(library) -> None:
    vid = library.videos()[0].id
    scattered = [TextSpan("ocr", i, i + 1, f"keeper {i} lighthouse") for i in range(12)]
    exact = TextSpan("ocr", 20, 21, "the lighthouse keeper " + "and many more words " * 10)
    library.catalog.replace_text_spans(vid, "ocr", [*scattered, exact])
    hits = search_keywords(library, "lighthouse keeper", kinds=("ocr",), limit=5)
    assert len(hits) == 5 and hits[0].text == exact.text and hits[0].exact
    assert not any(h.exact for h in hits[1:])
    assert hits[0].score < hits[1].score  # same ranking function: the long span scores lower


def test_only_spans_with_cjk_text_are_trigram_indexed(tmp_path) -> None:
    """SQLite (PostgreSQL's trigram GIN index covers every row): the trigram table holds the
    spans a CJK query can match, and follows them through replace and delete."""
    lib = Library.open(tmp_path / "lib")
    lib.bind_model(MODEL)
    vid = lib.commit_video(make_commit("/videos/a.mp4", seed=1)).id

    def indexed() -> int:
        with lib.catalog.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM text_spans_trigram_docsize")).scalar()

    lib.catalog.replace_text_spans(vid, "ocr", [*OCR, *[TextSpan("ocr", 0, 1, "Latin")] * 3])
    assert indexed() == len(OCR) == 2
    lib.catalog.replace_text_spans(vid, "ocr", [TextSpan("ocr", 0, 1, "東京 Tokyo")])
    assert indexed() == 1 and len(search_keywords(lib, "東京")) == 1
    lib.remove_video(vid)
    assert indexed() == 0
    lib.close()


MISHEARD = TextSpan(
    "speech",
    10.0,
    14.0,
    "Then the guard caked the tickets twice.",
    "en",
    words=[
        (10.0, 10.3, " Then"),
        (10.3, 10.6, " the"),
        (10.6, 11.0, " guard"),
        (11.0, 11.5, " caked"),
        (11.5, 11.8, " the"),
        (11.8, 12.5, " tickets"),
        (12.5, 13.0, " twice."),
    ],
)


def test_a_misheard_word_still_finds_the_spoken_phrase_after_full_matches(library) -> None:
    """Speech recognition heard 'caked' for 'checked': the 4-word phrase finds the span
    (3 of 4 words), starting at the first matched word; an exact match ranks first."""
    ids = [v.id for v in library.videos()]
    library.catalog.replace_text_spans(ids[0], "speech", [*SPEECH, MISHEARD])
    (hit,) = search_keywords(library, "guard checked the tickets")
    assert hit.text == MISHEARD.text and hit.partial and not hit.exact
    assert (hit.start, hit.end, hit.timed) == (10.6, 12.5, True)
    exact = TextSpan("subtitle", 20.0, 22.0, "The guard checked the tickets.", "en")
    library.catalog.replace_text_spans(ids[1], "subtitle", [*SUBTITLES, exact])
    hits = search_keywords(library, "guard checked the tickets")
    assert texts(hits) == [exact.text, MISHEARD.text]
    assert [(h.exact, h.partial) for h in hits] == [(True, False), (False, True)]
    assert hits[0].score > hits[1].score


def test_a_span_with_too_few_of_the_words_is_no_partial_match(library) -> None:
    ids = [v.id for v in library.videos()]
    library.catalog.replace_text_spans(ids[0], "speech", [*SPEECH, MISHEARD])
    assert search_keywords(library, "guard checked passports carefully") == []  # 1 of 4
    assert search_keywords(library, "guard checked") == []  # 2 words: all must occur
    assert search_keywords(library, '"guard checked the tickets"') == []  # a quoted phrase
    # 3 of 4 words, but too far apart to be one misheard phrase
    far = TextSpan("ocr", 0, 1, "guard " + "filler " * 12 + "the tickets")
    library.catalog.replace_text_spans(ids[2], "ocr", [far])
    assert search_keywords(library, "guard punched the tickets", kinds=("ocr",)) == []


def test_six_word_queries_allow_two_misheard_words(library) -> None:
    ids = [v.id for v in library.videos()]
    library.catalog.replace_text_spans(ids[0], "speech", [MISHEARD])
    hits = search_keywords(library, "then the guard caked the tickets twice")
    assert texts(hits) == [MISHEARD.text] and hits[0].exact and not hits[0].partial
    (hit,) = search_keywords(library, "the guard checked those tickets twice")  # 4 of 6
    assert hit.partial and hit.start == 10.3  # the first matched word: "the"
    assert search_keywords(library, "guard checked those passports twice quickly") == []
