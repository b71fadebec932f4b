"""One frame at a time: seek to the key frame before it, decode forward to it.

The frame for time ``at`` is the first frame whose timestamp is at or after ``at`` (the last
frame when ``at`` is past the end), the frame ``frames`` gives for a slot starting at its
own timestamp. Seeking lands on a key frame at or before the target in well-indexed files;
where it lands after it (a container without a seek index, damaged timestamps), the search
starts further back, and at last from the start of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import av

_BACKOFF_S = (0.0, 2.0, 10.0, 60.0)  # how far before ``at`` each seek aims
_TOLERANCE_S = 1e-6


def first_frame_at(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    at: float,
    decode: Callable[[], Iterator[av.VideoFrame]],
) -> av.VideoFrame | None:
    """The frame of ``stream`` for time ``at`` (None: the stream has no timed frame).

    ``decode`` yields the frames of ``stream`` from the container's current position."""
    if at > 0 and stream.time_base:
        for back in _BACKOFF_S:
            target = at - back
            if target <= 0:
                break
            try:
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
            except av.error.FFmpegError:
                break
            frame, overshot = _scan(decode(), at)
            if not overshot:
                return frame
        container.seek(0, stream=stream, backward=True)
    frame, _ = _scan(decode(), at)
    return frame


def _scan(frames: Iterator[av.VideoFrame], at: float) -> tuple[av.VideoFrame | None, bool]:
    """The first frame at or after ``at``, and whether decoding began already past ``at``
    (the seek went too far: an earlier frame may be the one)."""
    last = None
    for frame in frames:
        t = frame.time
        if t is None or t < -_TOLERANCE_S:
            continue
        if t >= at - _TOLERANCE_S:
            return frame, last is None and t > at + _TOLERANCE_S
        last = frame
    return last, last is None
