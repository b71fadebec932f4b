"""Segment id → (video, time range): thumbnails are addressed by segment id alone."""

from __future__ import annotations

from dataclasses import dataclass

from vidseek.api.state import ServerState
from vidseek.core.errors import VideoNotFound


@dataclass(frozen=True)
class SegmentRef:
    segment_id: int
    video_id: int
    path: str
    content_hash: str
    size: int
    start: float
    end: float


class SegmentLookup:
    """Finds a segment's video and time range in the catalog (one indexed query each)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def find(self, segment_id: int) -> SegmentRef | None:
        with self.state.lock:
            library = self.state.library
            row = library.segment(segment_id)
            if row is None:
                return None
            try:
                video = library.video(row.video_id)
            except VideoNotFound:
                return None
        return SegmentRef(
            segment_id, video.id, video.path, video.content_hash, video.size, row.start, row.end
        )
