"""Text or image in, one page of ranked moments out, via the one search path (``Searcher``).

Each query ranks up to ``result_window`` clips once; pages are slices of that list, cached per
(query, filters, library generation), so pages never overlap and ``total`` stays the same
while the library does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import PurePath

import numpy as np
from vidseek.api.errors import ApiError
from vidseek.api.schemas import Moment, SearchParams, SearchResponse, VideoGroup
from vidseek.api.state import ServerState
from vidseek.api.urls import stream_url, thumbnail_url
from vidseek.core.errors import VideoNotFound
from vidseek.core.lru import LruCache
from vidseek.core.types import Clip
from vidseek.search.query import Searcher, SearchOptions

CACHE_ENTRIES = 64


class ResultCache(LruCache[list[Clip]]):
    """A small LRU of ranked clip lists."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        super().__init__(size)


def run_search(
    state: ServerState,
    cache: ResultCache,
    params: SearchParams,
    query_key: Hashable,
    embed: Callable[[Searcher], np.ndarray],
    query_text: str | None,
) -> SearchResponse:
    """Rank clips for one query (``embed`` turns it into a vector) and cut out one page."""
    generation = state.refresh()
    with state.lock:
        empty = state.library.count_videos("indexed") == 0
        allowed = None if empty else _allowed_videos(state, params)
    if empty or allowed == ():
        return _page(params, [], query_text, library_empty=empty)
    per_video = params.per_video if params.group_by == "clip" else None
    key = (query_key, per_video, allowed, params.min_score, generation)
    clips = cache.get(key)
    if clips is None:
        searcher = state.searcher()
        vector = embed(searcher)
        options = SearchOptions(
            k=state.config.result_window,
            per_video=per_video,
            video_ids=allowed,
            min_score=params.min_score,
        )
        clips = _search_vector(state, searcher, vector, options)
        cache.put(key, clips)
    return _page(params, clips, query_text, library_empty=False)


def _search_vector(
    state: ServerState, searcher: Searcher, vector: np.ndarray, options: SearchOptions
) -> list[Clip]:
    """Search; a vector whose video was just removed elsewhere gets one refresh and retry."""
    for attempt in range(2):
        try:
            with state.lock:
                return searcher.search_vector(vector, options)
        except VideoNotFound:
            if attempt:
                raise ApiError(
                    503, "the library is being updated; try again", "library_busy"
                ) from None
            with state.lock:
                state.library.refresh()
    raise AssertionError("unreachable")


def _allowed_videos(state: ServerState, params: SearchParams) -> tuple[int, ...] | None:
    """The video ids the filters allow (sorted), or None when nothing is filtered."""
    if params.video_ids is None and params.path_prefix is None:
        return None
    ids: set[int] | None = set(params.video_ids) if params.video_ids is not None else None
    if params.path_prefix is not None:
        prefixes = tuple(params.path_prefix)
        matching = {
            v.id for v in state.library.videos(status="indexed") if v.path.startswith(prefixes)
        }
        ids = matching if ids is None else ids & matching
    return tuple(sorted(ids or ()))


def _page(
    params: SearchParams, clips: list[Clip], query: str | None, *, library_empty: bool
) -> SearchResponse:
    results: list[Moment] = []
    groups: list[VideoGroup] = []
    if params.group_by == "video":
        all_groups = _groups(clips, params.per_video)
        total = len(all_groups)
        groups = all_groups[params.offset : params.offset + params.k]
    else:
        total = len(clips)
        window = clips[params.offset : params.offset + params.k]
        results = [moment(c, params.offset + i + 1) for i, c in enumerate(window)]
    end = params.offset + params.k
    return SearchResponse(
        query=query,
        group_by=params.group_by,
        total=total,
        offset=params.offset,
        k=params.k,
        next_offset=end if end < total else None,
        library_empty=library_empty,
        results=results,
        groups=groups,
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
    )


def _groups(clips: list[Clip], per_video: int | None) -> list[VideoGroup]:
    by_video: dict[int, list[Clip]] = {}
    for clip in clips:  # best first, so each group's first clip is its best
        by_video.setdefault(clip.video_id, []).append(clip)
    groups = []
    for rank, (video_id, video_clips) in enumerate(by_video.items(), 1):
        best = video_clips[0]
        shown = video_clips[:per_video] if per_video else video_clips
        groups.append(
            VideoGroup(
                rank=rank,
                video_id=video_id,
                path=best.path,
                title=PurePath(best.path).name,
                score=round(best.score, 6),
                clip_count=len(video_clips),
                thumbnail_url=thumbnail_url(best.segment_ids[0]),
                stream_url=stream_url(video_id, best.start),
                clips=[moment(c, i + 1) for i, c in enumerate(shown)],
            )
        )
    return groups
