"""Cheap sparse sampling: PyAV decoding reference frames only (``skip_frame="NONREF"``).

Frames nothing else references (most B-frames) are never decoded, about half the work on
typical H.264. The rule: each slot ``[i/fps, (i+1)/fps)`` gets the first frame *the fast
decoder decodes* in it, reported with that frame's own timestamp. That frame is late by the
non-reference frames at the start of the slot: one frame with x264's default B-pyramid, up
to the B-frame run (e.g. 3) without it; intra-only and B-frame-free streams (MJPEG, VP9,
x264 ``ultrafast``) lose nothing and give exactly the frames of ``PyAVDecoder``.

A slot that holds frames (a packet timestamp falls in it) but no reference frame is filled
with its first frame from a second, normal decoder that runs forward through the file only
when needed, so no slot is lost. Packets come in decode order, so a decoded frame is
delivered only once the demuxer is past its slot start (a later packet's decode timestamp,
never above its presentation timestamp): by then every packet of the slots before it has
been seen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from vidseek.indexer.decode import (
    Progress,
    PyAVDecoder,
    _decode_all,
    _rgb,
    open_container,
    slot_of,
    video_stream,
)


class FastPyAVDecoder(PyAVDecoder):
    """``PyAVDecoder`` that decodes reference frames only (see the module docstring)."""

    name = "pyav-fast"

    def _samples(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        path: Path,
        fps: float,
        short_side: int | None,
        progress: Progress,
    ) -> Iterator[tuple[float, np.ndarray]]:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        stream.codec_context.skip_frame = "NONREF"
        present: set[int] = set()  # slots some packet's timestamp falls in
        seen_dts = -float("inf")  # decode timestamp the demuxer has reached

        def on_packet(packet: av.Packet) -> None:
            nonlocal seen_dts
            if packet.pts is not None and packet.time_base:
                slot = slot_of(float(packet.pts * packet.time_base), fps)
                if slot is not None:
                    present.add(slot)
            if packet.dts is not None and packet.time_base:
                seen_dts = max(seen_dts, float(packet.dts * packet.time_base))

        pending: deque[tuple[int, float, np.ndarray]] = deque()  # (slot, time, image)
        last_taken, last_out = -1, -1
        with _Filler(path, fps, short_side) as filler:
            for frame in _decode_all(container, stream, on_packet):
                progress.see(frame)
                slot = slot_of(frame.time, fps) if frame.time is not None else None
                if slot is not None and slot > last_taken:
                    last_taken = slot
                    pending.append((slot, frame.time, _rgb(frame, short_side)))
                while pending and pending[0][0] / fps <= seen_dts:
                    slot, t, image = pending.popleft()
                    yield from filler.fill(present, last_out, slot)
                    yield t, image
                    last_out = slot
            for slot, t, image in pending:
                yield from filler.fill(present, last_out, slot)
                yield t, image
                last_out = slot
            yield from filler.fill(present, last_out, max(present, default=-1) + 1)


class _Filler:
    """First frames of given slots from a normal (no skipping) decoder, opened on first use
    and moving forward only."""

    def __init__(self, path: Path, fps: float, short_side: int | None) -> None:
        self.path, self.fps, self.short_side = path, fps, short_side
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._ahead: tuple[int, av.VideoFrame] | None = None  # read, not used yet

    def fill(
        self, present: set[int], after: int, before: int
    ) -> Iterator[tuple[float, np.ndarray]]:
        """The first frame of each slot in ``present`` strictly between ``after`` and
        ``before`` (the fast decoder decoded no frame there); forgets slots up to ``before``."""
        done = sorted(s for s in present if s <= before)
        present.difference_update(done)
        for slot in done:
            frame = self._first_in(slot) if after < slot < before else None
            if frame is not None:
                yield frame.time, _rgb(frame, self.short_side)

    def _first_in(self, slot: int) -> av.VideoFrame | None:
        if self._frames is None:
            self._container = open_container(self.path)
            stream = video_stream(self._container)
            stream.thread_type = "AUTO"
            self._frames = _decode_all(self._container, stream)
        while self._ahead is None or self._ahead[0] < slot:
            frame = next(self._frames, None)
            if frame is None:
                return None
            at = slot_of(frame.time, self.fps) if frame.time is not None else None
            if at is not None:
                self._ahead = (at, frame)
        at, frame = self._ahead
        return frame if at == slot else None

    def __enter__(self) -> _Filler:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._container is not None:
            self._container.close()
