"""Turn ranked segment hits into clips: merge touching hits of a video, then rank and filter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from search.types import Clip, Hit

TOUCH_TOLERANCE = 1e-3  # seconds: hits whose ranges meet within this are "touching"


def merge_hits(hits: Sequence[Hit], paths: Mapping[int, str]) -> list[Clip]:
    """Merge hits of the same video whose time ranges overlap or touch into one clip.

    A clip spans min(start)..max(end) of its hits and scores the best of them. Clips come
    back best first; ties are broken by video id then start time, so output is deterministic.
    """
    by_video: dict[int, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_video[hit.video_id].append(hit)
    clips: list[Clip] = []
    for video_id, video_hits in by_video.items():
        video_hits.sort(key=lambda h: (h.start, h.end))
        current: Clip | None = None
        for hit in video_hits:
            if current is not None and hit.start <= current.end + TOUCH_TOLERANCE:
                current.end = max(current.end, hit.end)
                current.score = max(current.score, hit.score)
                current.segment_ids.append(hit.segment_id)
                continue
            current = Clip(video_id, paths.get(video_id, ""), hit.start, hit.end, hit.score)
            current.segment_ids.append(hit.segment_id)
            clips.append(current)
    return rank(clips)


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
