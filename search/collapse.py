"""Fold copies of one moment into one search result (``collapse_duplicates``).

Clips are taken best first; a clip whose video is a copy of (or shares a clip with) the video
of a clip already kept, at the same moment once the pair's offset is applied, joins that
clip's ``copies`` instead of taking a place of its own. So the other copies stay reachable.
"""

from __future__ import annotations

from collections.abc import Sequence

from vidseek.core.types import Clip, ClipCopy
from vidseek.search.duplicates import DuplicateReport

TOLERANCE_S = 1.0  # how far off a pair's offset and its aligned span may be
SAME_MOMENT = 0.5  # aligned, two moments overlap by this much of the shorter: the same one


def collapse(clips: Sequence[Clip], report: DuplicateReport) -> list[Clip]:
    """``clips`` (ranked) with copies of a kept clip's moment folded into it."""
    kept: list[Clip] = []
    # video id -> (start, end, the kept clip) of every moment placed so far, kept or folded:
    # a copy of a copy folds into the same clip
    placed: dict[int, list[tuple[float, float, Clip]]] = {}
    for clip in clips:
        home = _copy_of(clip, report, placed)
        if home is None:
            kept.append(clip)
            home = clip
        else:
            home.copies.append(ClipCopy(clip.video_id, clip.path, clip.start, clip.end, clip.score))
        placed.setdefault(clip.video_id, []).append((clip.start, clip.end, home))
    return kept


def _copy_of(
    clip: Clip, report: DuplicateReport, placed: dict[int, list[tuple[float, float, Clip]]]
) -> Clip | None:
    for pair in report.links(clip.video_id):
        other, offset = pair.other(clip.video_id)  # t_other = t_clip + offset
        span_lo, span_hi = pair.span_of(clip.video_id)
        inside = min(clip.end, span_hi + TOLERANCE_S) - max(clip.start, span_lo - TOLERANCE_S)
        if inside < SAME_MOMENT * (clip.end - clip.start):
            continue  # this moment is not (mostly) in the part the two videos share
        lo, hi = clip.start + offset, clip.end + offset
        for start, end, home in placed.get(other, ()):
            if home.video_id != clip.video_id and _same_moment(lo, hi, start, end):
                return home
    return None


def _same_moment(lo: float, hi: float, start: float, end: float) -> bool:
    overlap = min(hi, end) - max(lo, start)
    return overlap > 0 and overlap >= SAME_MOMENT * min(hi - lo, end - start)
