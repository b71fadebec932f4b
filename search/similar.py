"""A moment as the query: the clip's pooled vector, read from the catalog, then a vector search.

The clip vector is the mean of the stored vectors of the segments that overlap
``[start, end)`` (the whole video when no range is given), re-normalised to unit length. No
model is loaded: the vectors were made by the library's own model when the video was indexed.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Clip
from vidseek.search.query import SearchOptions, search_vector

RANGE_TOLERANCE_S = 0.05  # an end this far past the video's last moment still counts as inside


def clip_vector(
    library: Library, video_id: int, start: float | None = None, end: float | None = None
) -> np.ndarray:
    """The unit vector of ``video_id`` between ``start`` and ``end`` seconds.

    Raises ``VideoNotFound`` for an unknown id, ``QueryError`` for a video with nothing
    indexed or a range that is empty, reversed or outside the video."""
    video = library.video(video_id)  # VideoNotFound
    segments = library.segments(video_id)
    model = library.model
    if not segments or model is None:
        raise QueryError(f"video {video_id} has no indexed moments ({video.status})")
    length = max(video.duration or 0.0, max(s.end for s in segments))
    lo, hi = check_range(start, end, length)
    ids = [s.id for s in segments if s.start < hi and s.end > lo]
    if not ids:  # a range inside the video but between segments (a gap in a failed decode)
        raise QueryError(f"no indexed moment of video {video_id} overlaps {lo:g}-{hi:g} s")
    vectors = np.concatenate(
        [vecs for _, vecs in library.catalog.segment_vectors(model.dim, ids)], axis=0
    )
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if not norm > 0.0:
        raise QueryError(f"the moments of video {video_id} in {lo:g}-{hi:g} s cancel out")
    return (mean / norm).astype(np.float32)


def check_range(start: float | None, end: float | None, length: float) -> tuple[float, float]:
    """``(start, end)`` with the video's bounds filled in; QueryError when it is unusable."""
    lo = 0.0 if start is None else float(start)
    hi = length if end is None else float(end)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise QueryError("start and end are numbers of seconds")
    if lo < 0:
        raise QueryError(f"start must be at least 0, got {lo:g}")
    if lo >= length or hi > length + RANGE_TOLERANCE_S:
        raise QueryError(f"{lo:g}-{hi:g} s is outside the video (0-{length:g} s)")
    if lo >= hi:
        raise QueryError(f"start must be before end, got {lo:g}-{hi:g} s")
    return lo, min(hi, length)


def similar_options(
    options: SearchOptions, video_id: int, include_source: bool = False
) -> SearchOptions:
    """``options`` that leave out ``video_id``'s own moments unless ``include_source``."""
    if include_source:
        return options
    excluded = tuple(sorted({*(options.exclude_video_ids or ()), video_id}))
    return replace(options, exclude_video_ids=excluded)


def search_similar(
    library: Library,
    video_id: int,
    start: float | None = None,
    end: float | None = None,
    options: SearchOptions | None = None,
    include_source: bool = False,
) -> list[Clip]:
    """Moments like ``video_id`` between ``start`` and ``end``, best first; the source
    video's own moments are left out unless ``include_source``."""
    vector = clip_vector(library, video_id, start, end)
    return search_vector(
        library, vector, similar_options(options or SearchOptions(), video_id, include_source)
    )
