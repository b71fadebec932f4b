"""Fusing the visual ranking with keyword hits: what must hold under every rule, and search_all
over a real library (SQLite catalog, exact vector index)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.pg_server import fresh_database
from tests.test_library import MODEL, make_commit, unit
from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Clip, TextSpan
from vidseek.search.fusion import (
    FUSION_RULES,
    PARTIAL_WEIGHT,
    fuse,
    parse_modalities,
    search_all,
    wants_visual,
)
from vidseek.search.keyword import KeywordHit
from vidseek.search.query import SearchOptions, search_vector


def clip(video: int, start: float, score: float) -> Clip:
    return Clip(video, f"/v/{video}.mp4", start, start + 2.0, score, [video * 100 + int(start)])


VISUAL = [clip(1, 0, 0.40), clip(2, 4, 0.35), clip(3, 8, 0.30), clip(1, 10, 0.25), clip(4, 0, 0.2)]


def hit(video: int, at: float, score: float, exact: bool = False, **kw) -> KeywordHit:
    fields = {
        "span_id": int(video * 1000 + at * 10),
        "video_id": video,
        "path": f"/v/{video}.mp4",
        "kind": "speech",
        "span_start": at,
        "span_end": at + 3.0,
        "text": "words",
        "language": "en",
        "score": score,
        "exact": exact,
        "start": at,
        "end": at + 3.0,
    }
    return KeywordHit(**{**fields, **kw})


def order(clips: list[Clip]) -> list[tuple[int, float]]:
    return [(c.video_id, c.start) for c in clips]


@pytest.mark.parametrize("rule", FUSION_RULES)
def test_no_text_match_leaves_the_visual_ranking_as_it_was(rule: str) -> None:
    fused = fuse(VISUAL, [], rule)
    assert order(fused) == order(VISUAL)
    assert [c.score for c in fused] == [c.score for c in VISUAL]
    assert all(c.matched == ["visual"] and c.snippet is None for c in fused)


@pytest.mark.parametrize("rule", FUSION_RULES)
def test_clips_without_text_keep_their_visual_order(rule: str) -> None:
    fused = fuse(VISUAL, [hit(3, 8.5, 2.0), hit(9, 1.0, 1.0)], rule)
    plain = [c for c in fused if c.snippet is None]
    assert order(plain) == [o for o in order(VISUAL) if o != (3, 8)]


def test_a_partial_match_moves_a_moment_less_than_a_full_one() -> None:
    full = fuse(VISUAL, [hit(4, 0.5, 2.0)], "score")
    part = fuse(VISUAL, [hit(4, 0.5, 2.0, partial=True)], "score")
    lifted = {c.video_id: c.score for c in full}[4] - 0.2
    assert lifted == pytest.approx(1.0)
    assert {c.video_id: c.score for c in part}[4] - 0.2 == pytest.approx(PARTIAL_WEIGHT)
    assert order(full)[0] == order(part)[0] == (4, 0.5)  # still first: nothing else has words


@pytest.mark.parametrize("rule", FUSION_RULES)
def test_an_exact_phrase_ranks_first_even_unseen_and_scoring_low(rule: str) -> None:
    hits = [hit(2, 4.0, 9.0), hit(1, 10.5, 5.0), hit(7, 30.0, 0.1, exact=True)]
    fused = fuse(VISUAL, hits, rule)
    assert (fused[0].video_id, fused[0].snippet["start"]) == (7, 30.0)
    assert fused[0].matched == ["speech"]
    scores = [c.score for c in fused]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]


@pytest.mark.parametrize("rule", FUSION_RULES)
def test_text_and_sight_together_beat_either_alone(rule: str) -> None:
    # video 3's clip is third visually; its words match as well as an unseen video's
    fused = fuse(VISUAL, [hit(3, 8.0, 1.0), hit(9, 0.0, 1.0)], rule)
    assert order(fused)[0] == (3, 8.0)
    assert fused[0].matched == ["visual", "speech"]


def test_evidence_of_one_moment_is_merged_and_the_start_is_the_first_matched_word() -> None:
    hits = [
        hit(2, 3.0, 2.0, start=4.6, end=5.2),  # speech: the matched words' times
        hit(2, 3.5, 1.5, kind="subtitle", language="de"),
        hit(2, 4.2, 1.0, kind="ocr"),
    ]
    (first, *_) = fuse(VISUAL, hits)
    assert first.video_id == 2 and first.matched == ["visual", "speech", "subtitle", "ocr"]
    assert first.start == 4.6
    assert first.snippet == {
        "text": "words",
        "kind": "speech",
        "start": 4.6,
        "end": 5.2,
        "language": "en",
    }
    assert first.end >= 6.0  # keeps the clip's and the span's ends


def test_unknown_rule_and_modalities_are_refused() -> None:
    with pytest.raises(QueryError, match="rrf"):
        fuse(VISUAL, [hit(1, 0, 1)], "max")
    with pytest.raises(QueryError, match="visual, speech, subtitles, ocr"):
        parse_modalities("speech,smell")
    assert parse_modalities("Subtitles, speech") == ("speech", "subtitle")
    assert parse_modalities(["ocr", "visual"]) == ("visual", "ocr")
    assert parse_modalities("") is None and parse_modalities(None) is None
    assert wants_visual(None) and not wants_visual(("speech",))


# --- over a real library ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def library(request: pytest.FixtureRequest, tmp_path: Path):
    url = fresh_database() if request.param == "postgres" else None
    lib = Library.open(tmp_path / "lib", catalog_url=url)
    lib.bind_model(MODEL)
    for seed in range(4):
        lib.commit_video(make_commit(f"/videos/{seed}.mp4", seed=seed))
    yield lib
    lib.close()


QUERY = unit(np.random.default_rng(7), 1)[0]


def test_search_all_without_text_evidence_is_the_visual_search(library) -> None:
    options = SearchOptions(k=8)
    visual = search_vector(library, QUERY, options)
    fused = search_all(library, "anything at all", QUERY, options)
    assert [(c.video_id, c.start, c.score) for c in fused] == [
        (c.video_id, c.start, c.score) for c in visual
    ]


def test_search_all_finds_spoken_words_with_their_time(library) -> None:
    ids = [v.id for v in library.videos()]
    words = [(3.0, 3.4, " the"), (3.4, 3.9, " lighthouse"), (3.9, 4.5, " keeper")]
    library.catalog.replace_text_spans(
        ids[2], "speech", [TextSpan("speech", 3.0, 4.5, "the lighthouse keeper", "en", words=words)]
    )
    library.catalog.replace_text_spans(
        ids[3], "ocr", [TextSpan("ocr", 1.0, 2.0, "KEEPER of the LIGHTHOUSE")]
    )
    fused = search_all(library, "lighthouse keeper", QUERY, SearchOptions(k=10))
    assert len(fused) == 10
    first = fused[0]
    assert (first.video_id, first.start, first.snippet["kind"]) == (ids[2], 3.4, "speech")
    assert "speech" in first.matched and first.segment_ids
    assert any(c.video_id == ids[3] and c.snippet for c in fused[1:])
    only_text = search_all(library, "lighthouse", None, SearchOptions(k=5, modalities=("ocr",)))
    assert [(c.video_id, c.matched) for c in only_text] == [(ids[3], ["ocr"])]
    no_text = search_all(library, "lighthouse", QUERY, SearchOptions(k=5, modalities=("visual",)))
    assert all(c.matched == ["visual"] for c in no_text)
    with pytest.raises(QueryError, match="empty"):
        search_all(library, "  ", None, SearchOptions(modalities=("speech",)))


def test_filters_apply_to_the_text_evidence_too(library) -> None:
    ids = [v.id for v in library.videos()]
    for vid in ids:
        library.catalog.replace_text_spans(vid, "ocr", [TextSpan("ocr", 0.0, 1.0, "EXIT")])
    only = search_all(library, "exit", QUERY, SearchOptions(k=20, video_ids=(ids[1],)))
    assert {c.video_id for c in only} == {ids[1]} and any(c.snippet for c in only)
    under = search_all(library, "exit", QUERY, SearchOptions(k=20, path_prefixes=("/videos/2",)))
    assert {c.video_id for c in under} == {ids[2]}
    others = SearchOptions(k=20, exclude_video_ids=(ids[0],), modalities=("ocr",))
    assert sorted(c.video_id for c in search_all(library, "exit", None, others)) == ids[1:]
    capped = search_all(library, "exit", QUERY, SearchOptions(k=20, per_video=1))
    assert len(capped) == len({c.video_id for c in capped}) == len(ids)


def test_the_moment_takes_the_spoken_words_time_over_a_cue_saying_the_same() -> None:
    cue = hit(2, 3.0, 3.0, exact=True, kind="subtitle")  # the better keyword score
    said = hit(2, 3.0, 2.0, exact=True, start=4.6, end=5.2, timed=True)
    (first, *_) = fuse(VISUAL, [cue, said])
    assert first.matched == ["visual", "speech", "subtitle"]
    assert (first.start, first.snippet["kind"], first.snippet["start"]) == (4.6, "speech", 4.6)


def test_a_moment_found_by_its_words_is_left_out_when_it_shows_what_is_excluded(library) -> None:
    from vidseek.search.exclusion import Negative

    options = SearchOptions(k=3)
    seen = {s for c in search_vector(library, QUERY, options) for s in c.segment_ids}
    unseen = next(s for v in library.videos() for s in library.segments(v.id) if s.id not in seen)
    span = TextSpan("ocr", unseen.start, unseen.end, "EXIT")
    library.catalog.replace_text_spans(unseen.video_id, "ocr", [span])
    found = [c for c in search_all(library, "exit", QUERY, options) if c.snippet]
    assert [(c.video_id, c.matched) for c in found] == [(unseen.video_id, ["ocr"])]
    (_, shown), *_ = library.catalog.segment_vectors(MODEL.dim, ids=found[0].segment_ids)
    excluded = [Negative(alone=shown[0])]  # what that moment's picture shows
    again = search_all(library, "exit", QUERY, options, excluded)
    assert not [c for c in again if c.snippet] and len(again) == 3
