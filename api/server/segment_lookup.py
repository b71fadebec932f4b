"""Segment id → (video, time range): thumbnails are addressed by segment id alone."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from api.server.state import ServerState
from search.types import Clip

REMEMBER = 100_000


@dataclass(frozen=True)
class SegmentRef:
    segment_id: int
    video_id: int
    path: str
    content_hash: str
    start: float
    end: float


class SegmentLookup:
    """Remembers which video each searched segment belongs to; scans the catalog otherwise."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._video_of: OrderedDict[int, int] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, clips: list[Clip]) -> None:
        with self._lock:
            for clip in clips:
                for segment_id in clip.segment_ids:
                    self._video_of[segment_id] = clip.video_id
            while len(self._video_of) > REMEMBER:
                self._video_of.popitem(last=False)

    def find(self, segment_id: int) -> SegmentRef | None:
        with self._lock:
            video_id = self._video_of.get(segment_id)
        with self.state.lock:
            library = self.state.library
            if video_id is not None:
                ref = self._in_video(video_id, segment_id)
                if ref is not None:
                    return ref
            for video in library.videos(status="indexed"):  # unknown: scan (rare)
                ref = self._in_video(video.id, segment_id)
                if ref is not None:
                    with self._lock:
                        self._video_of[segment_id] = video.id
                    return ref
        return None

    def _in_video(self, video_id: int, segment_id: int) -> SegmentRef | None:
        from search.errors import VideoNotFound

        library = self.state.library
        try:
            video = library.video(video_id)
            rows = library.segments(video_id)
        except VideoNotFound:
            return None
        for row in rows:
            if row.id == segment_id:
                return SegmentRef(
                    segment_id, video_id, video.path, video.content_hash, row.start, row.end
                )
        return None
