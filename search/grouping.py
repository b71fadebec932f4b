"""Group ranked clips by video: one result per video, its clips best first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from vidseek.core.types import Clip

GroupBy = Literal["clip", "video"]
GROUP_BY: tuple[GroupBy, ...] = ("clip", "video")


@dataclass(frozen=True)
class VideoGroup:
    """The matching clips of one video in a ranked window."""

    video_id: int
    path: str
    score: float  # the best clip's
    clip_count: int  # clips of this video in the window (``clips`` may show fewer)
    clips: list[Clip] = field(default_factory=list)

    @property
    def best(self) -> Clip:
        return self.clips[0]


def group_by_video(clips: Sequence[Clip], per_video: int | None = None) -> list[VideoGroup]:
    """Videos in the order of their best clip; each shows at most ``per_video`` clips."""
    by_video: dict[int, list[Clip]] = {}
    for clip in clips:  # best first, so each video's first clip is its best
        by_video.setdefault(clip.video_id, []).append(clip)
    return [
        VideoGroup(
            video_id=video_id,
            path=found[0].path,
            score=found[0].score,
            clip_count=len(found),
            clips=found[:per_video] if per_video else found,
        )
        for video_id, found in by_video.items()
    ]
