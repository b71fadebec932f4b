"""Text or image in, one page of ranked moments out, via the one search path (``Searcher``).

Each query ranks up to ``result_window`` clips once; pages are slices of that list, cached per
(query, filters, library generation), so pages never overlap and ``total`` stays the same
while the library does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from vidseek.api.errors import ApiError
from vidseek.api.schemas import (
    Moment,
    MomentCopy,
    NoMatchOut,
    SearchParams,
    SearchResponse,
    Snippet,
    VideoGroup,
)
from vidseek.api.state import ServerState
from vidseek.api.urls import stream_url, thumbnail_url
from vidseek.core.errors import QueryError, VideoNotFound
from vidseek.core.lru import LruCache
from vidseek.core.types import Clip
from vidseek.search.confidence import Judged, NoMatch
from vidseek.search.exclusion import Negative
from vidseek.search.filters import (
    FILTER_FIELDS,
    VideoFilter,
    allowed_videos,
    split_video_filter,
)
from vidseek.search.fusion import parse_modalities, search_all, wants_visual
from vidseek.search.grouping import VideoGroup as ClipGroup
from vidseek.search.keyword import text_generation
from vidseek.search.paging import Page
from vidseek.search.query import Searcher, SearchOptions, search_vector
from vidseek.search.results import page_of, ranking_per_video

CACHE_ENTRIES = 64


@dataclass(frozen=True)
class Question:
    """What sharpens a query: moments to leave out (``not_texts``, judged against ``text``,
    the query's own words when it has any), and a second event that must follow it."""

    text: str | None = None
    not_texts: tuple[str, ...] = ()
    then: str | None = None
    max_gap: float | None = None


class ResultCache(LruCache[Judged]):
    """A small LRU of ranked clip lists (judged: with why none passed, if so)."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        super().__init__(size)


def run_search(
    state: ServerState,
    cache: ResultCache,
    params: SearchParams,
    query_key: Hashable,
    embed: Callable[[Searcher | None], np.ndarray],
    query_text: str | None,
    queries: str | None = "images",
    exclude_video_ids: tuple[int, ...] | None = None,
    keywords: str | None = None,
    question: Question | None = None,
) -> SearchResponse:
    """Rank clips for one query (``embed`` turns it into a vector) and cut out one page.

    ``queries=None``: the vector needs no model (``embed`` gets None), so none is loaded;
    ``exclude_video_ids``: videos never in the results (a moment's own video);
    ``keywords``: a text query, also searched in speech, subtitles and on-screen text and
    fused (``params.modalities`` picks the evidence; without visual nothing is embedded);
    ``question``: exclusions and temporal order (``Question``)."""
    question = question or Question()
    generation = state.refresh()
    # Catalog reads only: the library's catalog has its own connections, so these run
    # outside the lock that guards the vector index, and other searches go on meanwhile.
    empty = state.library.count_videos("indexed") == 0
    allowed = None if empty else _allowed_videos(state, params)
    if empty or allowed == ():
        return _page(params, [], query_text, library_empty=empty)
    per_video = ranking_per_video(params.group_by, params.per_video)
    key = (query_key, per_video, allowed, params.min_score, exclude_video_ids, generation)
    key += (getattr(params, "min_confidence", None),)
    key += (params.collapse_duplicates, question)
    modalities = _modalities(params) if keywords is not None else None
    if keywords is not None:  # new text spans change the results as new vectors do
        key += (modalities, text_generation(state.library))
    judged = cache.get(key)
    if judged is None:
        # then orders moments of what is seen; not judges what is seen (without visual
        # evidence there is nothing for it to leave out)
        sees = keywords is None or wants_visual(modalities) or question.then is not None
        searcher = state.searcher(queries) if queries is not None and sees else None
        vector = embed(searcher) if sees else None
        negatives = _negatives(searcher, question, vector)
        options = SearchOptions(
            k=state.config.result_window,
            per_video=per_video,
            video_ids=allowed,
            min_score=params.min_score,
            exclude_video_ids=exclude_video_ids,
            collapse_duplicates=params.collapse_duplicates,
            modalities=modalities,
        )
        clips = _search_vector(state, searcher, vector, options, keywords, negatives, question)
        judged = _judge(
            searcher, vector, clips, params, keywords if question.then is None else None
        )
        cache.put(key, judged)
    return _page(params, judged.clips, query_text, library_empty=False, no_match=judged.no_match)


def _judge(
    searcher: Searcher | None,
    vector: np.ndarray | None,
    clips: list[Clip],
    params: SearchParams,
    keywords: str | None,
) -> Judged:
    """A text query's clips with their calibrated confidence, cut at ``min_confidence``."""
    if keywords is None or searcher is None or vector is None:
        return Judged(clips)
    return searcher.judge(vector, clips, getattr(params, "min_confidence", None))


def _modalities(params: SearchParams) -> tuple[str, ...] | None:
    try:
        return parse_modalities(getattr(params, "modalities", None))
    except QueryError as exc:
        raise ApiError(422, str(exc), "invalid_request") from None


def _search_vector(
    state: ServerState,
    searcher: Searcher | None,
    vector: np.ndarray | None,
    options: SearchOptions,
    keywords: str | None = None,
    negatives: Sequence[Negative] = (),
    question: Question | None = None,
) -> list[Clip]:
    """Search; a vector whose video was just removed elsewhere gets one refresh and retry."""
    for attempt in range(2):
        try:
            with state.lock:
                if question is not None and question.then is not None and searcher is not None:
                    text = question.text or ""
                    return searcher.search_then(
                        text, question.then, options, question.max_gap, question.not_texts
                    )
                if keywords is not None:
                    return search_all(state.library, keywords, vector, options, negatives)
                return search_vector(state.library, vector, options, negatives)
        except VideoNotFound:
            if attempt:
                raise ApiError(
                    503, "the library is being updated; try again", "library_busy"
                ) from None
            with state.lock:
                state.library.refresh()
    raise AssertionError("unreachable")


def _negatives(
    searcher: Searcher | None, question: Question, vector: np.ndarray | None
) -> list[Negative]:
    if searcher is None or not question.not_texts:
        return []
    try:  # a text query composes "A, B"; an image or a moment query moves its vector
        return searcher.negatives(question.text or vector, question.not_texts)
    except QueryError as exc:
        raise ApiError(422, str(exc), "invalid_request") from None


def _video_filter(params: SearchParams) -> VideoFilter | None:
    """The duration, size, date, language, speech and subtitle filters of ``params``."""
    names = (*FILTER_FIELDS, "language")
    given = {name: getattr(params, name) for name in names}
    given["languages"] = given.pop("language")
    try:
        return split_video_filter(given)[1]
    except QueryError as exc:
        raise ApiError(422, str(exc), "invalid_request") from None


def _allowed_videos(state: ServerState, params: SearchParams) -> tuple[int, ...] | None:
    """The video ids the filters allow (sorted), or None when nothing is filtered."""
    video_filter = _video_filter(params)
    try:
        return allowed_videos(state.library, params.video_ids, params.path_prefix, video_filter)
    except QueryError as exc:
        raise ApiError(422, str(exc), "invalid_request") from None


def _page(
    params: SearchParams,
    clips: list[Clip],
    query: str | None,
    *,
    library_empty: bool,
    no_match: NoMatch | None = None,
) -> SearchResponse:
    page: Page = page_of(clips, params.offset, params.k, params.group_by, params.per_video)
    results: list[Moment] = []
    groups: list[VideoGroup] = []
    if params.group_by == "video":
        groups = [_group(g, page.offset + i + 1) for i, g in enumerate(page.items)]
    else:
        results = [moment(c, page.offset + i + 1) for i, c in enumerate(page.items)]
    return SearchResponse(
        query=query,
        group_by=params.group_by,
        total=page.total,
        offset=page.offset,
        k=page.k,
        next_offset=page.next_offset,
        library_empty=library_empty,
        results=results,
        groups=groups,
        no_match=NoMatchOut(**no_match.to_json()) if no_match is not None else None,
    )


def moment(clip: Clip, rank: int) -> Moment:
    return Moment(
        rank=rank,
        video_id=clip.video_id,
        path=clip.path,
        title=PurePath(clip.path).name,
        start=round(clip.start, 3),
        end=round(clip.end, 3),
        score=round(clip.score, 6),
        segment_ids=list(clip.segment_ids),
        thumbnail_url=thumbnail_url(clip.segment_ids[0]),
        stream_url=stream_url(clip.video_id, clip.start),
        copies=[
            MomentCopy(
                video_id=c.video_id,
                path=c.path,
                title=PurePath(c.path).name,
                start=round(c.start, 3),
                end=round(c.end, 3),
                score=round(c.score, 6),
                stream_url=stream_url(c.video_id, c.start),
            )
            for c in clip.copies
        ],
        matched=list(clip.matched),
        snippet=Snippet(**clip.snippet) if clip.snippet else None,
        confidence=clip.confidence,
        confidence_level=clip.confidence_level,  # type: ignore[arg-type]
    )


def _group(group: ClipGroup, rank: int) -> VideoGroup:
    best = group.best
    return VideoGroup(
        rank=rank,
        video_id=group.video_id,
        path=group.path,
        title=PurePath(group.path).name,
        score=round(group.score, 6),
        clip_count=group.clip_count,
        thumbnail_url=thumbnail_url(best.segment_ids[0]),
        stream_url=stream_url(group.video_id, best.start),
        clips=[moment(c, i + 1) for i, c in enumerate(group.clips)],
    )
