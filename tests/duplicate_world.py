"""Demo-world videos and the copies ffmpeg would make of them, written with PyAV (there is no
ffmpeg binary): re-encodes, resizes, crops, trims, and a clip of one video spliced into another.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene


def decoded(path: Path) -> Iterator[tuple[float, np.ndarray]]:
    """(time in seconds, RGB frame) of every frame of ``path``."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            yield float(frame.pts * stream.time_base), frame.to_ndarray(format="rgb24")


def write_frames(
    path: Path,
    frames: list[np.ndarray],
    fps: float,
    *,
    codec: str = "libx264",
    options: dict[str, str] | None = None,
    bit_rate: int | None = None,
) -> None:
    """Encode RGB ``frames`` at a constant ``fps`` into ``path`` (an MP4)."""
    height, width = frames[0].shape[:2]
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = 1 / rate
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        stream.options = {"preset": "ultrafast", **(options or {})} if codec == "libx264" else {}
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts, frame.time_base = i, 1 / rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def reencode(src: Path, dst: Path, fps: float, **codec: object) -> None:
    """Another codec or bitrate, same pictures (``codec``: ``write_frames`` keywords)."""
    write_frames(dst, [rgb for _, rgb in decoded(src)], fps, **codec)  # type: ignore[arg-type]


def resize(src: Path, dst: Path, fps: float, factor: float) -> None:
    from PIL import Image

    frames = []
    for _, rgb in decoded(src):
        h, w = rgb.shape[:2]
        size = (round(w * factor / 2) * 2, round(h * factor / 2) * 2)
        frames.append(np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR)))
    write_frames(dst, frames, fps)


def crop(src: Path, dst: Path, fps: float, fraction: float) -> None:
    """``fraction`` of the width and height cut off each side."""
    frames = []
    for _, rgb in decoded(src):
        h, w = rgb.shape[:2]
        dy, dx = round(h * fraction), round(w * fraction)
        frames.append(rgb[dy : h - dy, dx : w - dx])
    write_frames(dst, frames, fps)


def trim(src: Path, dst: Path, fps: float, start: float, end: float | None = None) -> None:
    """Only ``start``..``end`` seconds of ``src``, re-timed to begin at 0."""
    keep = [rgb for t, rgb in decoded(src) if t >= start - 1e-6 and (end is None or t < end)]
    write_frames(dst, keep, fps)


def splice(
    dst: Path,
    before: list[Scene],
    clip_of: Path,
    clip_start: float,
    clip_end: float,
    after: list[Scene],
    fps: float,
) -> float:
    """``before`` scenes, then ``clip_of`` from ``clip_start`` to ``clip_end``, then ``after``
    scenes; returns where the clip starts in ``dst`` (seconds)."""
    first = next(decoded(clip_of))[1]
    height, width = first.shape[:2]

    def render(scenes: list[Scene]) -> list[np.ndarray]:
        out = []
        for scene in scenes:
            n = round((scene.end - scene.start) * fps)
            out += [render_frame(scene, scene.start + i / fps, width, height) for i in range(n)]
        return out

    head = render(before)
    clip = [rgb for t, rgb in decoded(clip_of) if clip_start - 1e-6 <= t < clip_end - 1e-6]
    write_frames(dst, head + clip + render(after), fps)
    return len(head) / fps
