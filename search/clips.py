"""Turn ranked segment hits into clips: merge touching hits of a video, then rank and filter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from vidseek.core.types import Clip, Hit

TOUCH_TOLERANCE = 1e-3  # seconds: hits whose ranges meet within this are "touching"
MERGE_MARGIN = 0.1  # a hit joins a clip when it scores within 10% of the clip's best hit
MIN_MERGE_MARGIN = 0.01  # …or within this absolute cosine distance, for scores near zero


def merge_hits(hits: Sequence[Hit], paths: Mapping[int, str]) -> list[Clip]:
    """Merge hits of the same video whose time ranges overlap or touch into one clip.

    A clip spans min(start)..max(end) of its hits and scores the best of them. Hits are taken
    best first, and a hit joins a clip only when it scores close to the clip's best hit:
    otherwise every weak neighbour of a strong moment would stretch the clip to the whole
    video. A weaker touching hit becomes a clip of its own, ranked lower.
    Clips come back best first; ties are broken by video id then start, so output is stable.
    """
    by_video: dict[int, list[Clip]] = defaultdict(list)
    for hit in sorted(hits, key=lambda h: (-h.score, h.segment_id)):
        clips = by_video[hit.video_id]
        target = next((c for c in clips if _joins(hit, c)), None)
        if target is None:
            clip = Clip(hit.video_id, paths.get(hit.video_id, ""), hit.start, hit.end, hit.score)
            clip.segment_ids.append(hit.segment_id)
            clips.append(clip)
            continue
        target.start = min(target.start, hit.start)
        target.end = max(target.end, hit.end)
        target.segment_ids.append(hit.segment_id)
    return rank([clip for clips in by_video.values() for clip in clips])


def _joins(hit: Hit, clip: Clip) -> bool:
    touches = hit.start <= clip.end + TOUCH_TOLERANCE and hit.end >= clip.start - TOUCH_TOLERANCE
    margin = max(MERGE_MARGIN * abs(clip.score), MIN_MERGE_MARGIN)
    return touches and hit.score >= clip.score - margin


def rank(clips: list[Clip]) -> list[Clip]:
    return sorted(clips, key=lambda c: (-c.score, c.video_id, c.start))


def cap_per_video(clips: Sequence[Clip], per_video: int) -> list[Clip]:
    """Keep at most ``per_video`` best clips of each video, preserving rank order."""
    seen: dict[int, int] = defaultdict(int)
    kept = []
    for clip in clips:
        if seen[clip.video_id] < per_video:
            seen[clip.video_id] += 1
            kept.append(clip)
    return kept
