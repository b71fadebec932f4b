"""Demo-world videos and the copies ffmpeg would make of them, written with PyAV (there is no
ffmpeg binary): re-encodes, resizes, crops, trims, and a clip of one video spliced into another.
"""

from __future__ import annotations

import atexit
import functools
import random
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidseek.demo.render import render_frame, write_video
from vidseek.demo.world import Scene, random_scenes


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


FPS = 10
SIZE = (320, 240)


@dataclass(frozen=True)
class DuplicateWorld:
    home: Path
    ids: dict[str, int]  # file stem -> video id
    copies_of_a: dict[str, float]  # stem -> offset from "orig_0" (t_copy = t_a + offset)
    shared: tuple[str, str, float, float]  # stems (source, host), offset, clip start in source
    distinct: tuple[str, ...]  # stems of the distinct demo videos


@functools.cache
def duplicate_world() -> DuplicateWorld:
    """Five distinct demo-world videos (12-18 s), five copies of the first (x264 CRF 35, MPEG-4
    at 100 kbit/s, 50% resize, 10% crop off each side, 3 s trimmed off the start) and 7 s of
    the second placed inside another video; indexed with the bundled model."""
    from vidseek.session import Session

    base = Path(tempfile.mkdtemp(prefix="vidseek-duplicates-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    folder = base / "videos"
    folder.mkdir()
    rng = random.Random(7)
    distinct = []
    for i in range(5):
        scenes = random_scenes(rng, round(rng.uniform(12, 18), 1))
        path = folder / f"orig_{i}.mp4"
        write_video(path, scenes, width=SIZE[0], height=SIZE[1], fps=FPS)
        distinct.append(path)
    a = distinct[0]
    reencode(a, folder / "a_crf35.mp4", FPS, options={"crf": "35"})
    reencode(a, folder / "a_mpeg4.mp4", FPS, codec="mpeg4", bit_rate=100_000)
    resize(a, folder / "a_half.mp4", FPS, 0.5)
    crop(a, folder / "a_crop.mp4", FPS, 0.1)
    trim(a, folder / "a_trim3.mp4", FPS, 3.0)
    clip_start = 5.0
    at = splice(
        folder / "b_inside.mp4",
        [Scene(0.0, 4.0, "square", "orange", "white")],
        distinct[1],
        clip_start,
        clip_start + 7.0,
        [Scene(0.0, 4.0, "triangle", "green", "black")],
        FPS,
    )
    with Session(base / "library", model="vidseek-demo") as session:
        report = session.index([folder])
        assert len(report.of("indexed")) == 11, report.outcomes
        ids = {Path(v.path).stem: v.id for v in session.videos()}
    copies = {"a_crf35": 0.0, "a_mpeg4": 0.0, "a_half": 0.0, "a_crop": 0.0, "a_trim3": -3.0}
    return DuplicateWorld(
        base / "library",
        ids,
        copies,
        ("orig_1", "b_inside", at - clip_start, clip_start),
        tuple(p.stem for p in distinct),
    )
