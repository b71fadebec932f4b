""" "A, then B": two moments of one video in that order, at most ``max_gap`` seconds apart.

Each event is searched on its own (the same filters, exclusions and ``min_score``), deep
enough to see ``CANDIDATE_CLIPS`` clips of each. In every video that has both, a clip ``a``
of A and a clip ``b`` of B pair when ``b`` comes after ``a``: it starts no earlier than
``OVERLAP_S`` before ``a`` ends (a segment may straddle the cut between them), it starts
after ``a`` starts and ends after ``a`` ends, and ``b.start - a.end <= max_gap``. A pair
scores the lower of its two scores (both must be there) and spans ``a.start`` to ``b.end``.
A video may match more than once: its pairs are taken best first, each not overlapping one
taken before. B before A is no match: its pairs would have to come from weak moments of
each event, which score low and fall under any ``min_score``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Clip
from vidseek.search.clips import cap_per_video, rank
from vidseek.search.exclusion import Negative
from vidseek.search.query import MAX_K, SearchOptions, search_vector

DEFAULT_MAX_GAP_S = 10.0
MAX_GAP_S = 24 * 3600.0
OVERLAP_S = 1.0
CANDIDATE_CLIPS = 200


def check_max_gap(max_gap: float) -> float:
    gap = float(max_gap)
    if not (math.isfinite(gap) and 0.0 <= gap <= MAX_GAP_S):
        raise QueryError(f"max_gap is seconds between 0 and {MAX_GAP_S:g}, got {max_gap!r}")
    return gap


def follows(a: Clip, b: Clip, max_gap: float) -> bool:
    """``b`` comes after ``a`` in the same video, at most ``max_gap`` seconds later."""
    return (
        a.video_id == b.video_id
        and b.start >= a.end - OVERLAP_S
        and b.start > a.start
        and b.end > a.end
        and b.start - a.end <= max_gap
    )


def pair_clips(firsts: Sequence[Clip], thens: Sequence[Clip], max_gap: float) -> list[Clip]:
    """Every video's best non-overlapping (A, B) pairs as clips, ranked best first."""
    by_video: dict[int, list[Clip]] = defaultdict(list)
    for b in thens:
        by_video[b.video_id].append(b)
    pairs = []
    for a in firsts:
        for b in by_video.get(a.video_id, ()):
            if follows(a, b, max_gap):
                pairs.append((min(a.score, b.score), a, b))
    pairs.sort(key=lambda p: (-p[0], p[1].video_id, p[1].start, p[2].start))
    taken: dict[int, list[Clip]] = defaultdict(list)
    for score, a, b in pairs:
        span = Clip(a.video_id, a.path, a.start, b.end, score, [*a.segment_ids, *b.segment_ids])
        if not any(span.start < t.end and t.start < span.end for t in taken[a.video_id]):
            taken[a.video_id].append(span)
    return rank([clip for clips in taken.values() for clip in clips])


def search_then(
    library: Library,
    first: np.ndarray,
    then: np.ndarray,
    options: SearchOptions | None = None,
    max_gap: float = DEFAULT_MAX_GAP_S,
    first_negatives: Sequence[Negative] = (),
    then_negatives: Sequence[Negative] = (),
) -> list[Clip]:
    """The ``options.k`` best spans where ``first`` is followed by ``then`` (see above)."""
    options = options or SearchOptions()
    options.validate()
    gap = check_max_gap(max_gap)
    deep = replace(options, k=min(MAX_K, max(CANDIDATE_CLIPS, options.k * 4)), per_video=None)
    firsts = search_vector(library, first, deep, first_negatives)
    if not firsts:
        return []
    thens = search_vector(library, then, deep, then_negatives)
    clips = pair_clips(firsts, thens, gap)
    if options.per_video is not None:
        clips = cap_per_video(clips, options.per_video)
    return clips[: options.k]
