"""Write demo-world videos in any size, frame rate and container, with a ground-truth file."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidseek.demo.world import RGB, Scene, random_scenes


@dataclass(frozen=True)
class Format:
    container: str  # PyAV/FFmpeg muxer name
    codec: str
    pix_fmt: str


FORMATS: dict[str, Format] = {
    "mp4": Format("mp4", "libx264", "yuv420p"),
    "mkv": Format("matroska", "libx264", "yuv420p"),
    "webm": Format("webm", "libvpx-vp9", "yuv420p"),
    "avi": Format("avi", "mjpeg", "yuvj420p"),
    "mov": Format("mov", "libx264", "yuv420p"),
}


def _shape_mask(shape: str, xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, r: float):
    dx, dy = xx - cx, yy - cy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        side = r * 0.85
        return (np.abs(dx) <= side) & (np.abs(dy) <= side)
    if shape == "triangle":  # apex up, base at cy + r/2
        inside_y = (dy >= -r) & (dy <= r * 0.6)
        half_width = (dy + r) / 1.6 * math.tan(math.radians(32)) * 1.6
        return inside_y & (np.abs(dx) <= half_width)
    if shape == "star":  # five points: radius oscillates with angle
        angle = np.arctan2(dy, dx) + math.pi / 2
        sector = np.mod(angle, 2 * math.pi / 5) - math.pi / 5
        edge = r * (0.45 + 0.55 * (1 - np.abs(sector) / (math.pi / 5)) ** 2)
        return np.hypot(dx, dy) <= edge
    raise ValueError(f"unknown shape {shape!r}")


def render_frame(scene: Scene, t: float, width: int, height: int) -> np.ndarray:
    """The RGB frame of ``scene`` at time ``t``: the shape drifts slowly across the background."""
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = RGB[scene.background]
    phase = (t - scene.start) / max(scene.end - scene.start, 1e-6)
    side = min(width, height)
    cx = width / 2 + (phase - 0.5) * 0.2 * width
    cy = height / 2 + math.sin(phase * math.pi) * 0.08 * height
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    frame[_shape_mask(scene.shape, xx, yy, cx, cy, 0.3 * side)] = RGB[scene.color]
    return frame


def _frame_times(duration: float, fps: float, vfr: bool, rng: random.Random) -> list[float]:
    times, t = [], 0.0
    while t < duration - 1e-9:
        times.append(round(t, 3))
        t += (rng.uniform(0.4, 1.6) if vfr else 1.0) / fps
    return times


def write_video(
    path: Path,
    scenes: list[Scene],
    *,
    width: int = 320,
    height: int = 240,
    fps: float = 25.0,
    fmt: str | None = None,
    vfr: bool = False,
    seed: int = 0,
) -> dict[str, object]:
    """Encode ``scenes`` to ``path`` and write the ground truth next to it as ``<path>.json``.

    ``vfr`` spaces frames irregularly (0.4–1.6 frame intervals, millisecond timestamps), so
    any decoder that derives times from ``index / fps`` gets them wrong.
    """
    path = Path(path)
    spec = FORMATS[fmt or path.suffix.lstrip(".").lower()]
    duration = scenes[-1].end
    times = _frame_times(duration, fps, vfr, random.Random(seed))
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w", format=spec.container) as out:
        stream = out.add_stream(spec.codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, spec.pix_fmt
        time_base = Fraction(1, 1000) if vfr else 1 / rate
        stream.codec_context.time_base = time_base
        if spec.codec == "libx264":
            stream.options = {"preset": "ultrafast", "g": str(max(1, round(fps * 2)))}
        elif spec.codec == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8"}
        scene_i = 0
        for i, t in enumerate(times):
            while t >= scenes[scene_i].end and scene_i + 1 < len(scenes):
                scene_i += 1
            frame = av.VideoFrame.from_ndarray(
                render_frame(scenes[scene_i], t, width, height), format="rgb24"
            )
            frame.pts = round(t * 1000) if vfr else i
            frame.time_base = time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    truth: dict[str, object] = {
        "path": path.name,
        "width": width,
        "height": height,
        "fps": fps,
        "vfr": vfr,
        "duration": duration,
        "frame_times": times,
        "scenes": [s.to_json() for s in scenes],
    }
    Path(f"{path}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
    return truth


def generate_library(
    folder: Path,
    n_videos: int,
    *,
    seed: int = 0,
    duration: tuple[float, float] = (12.0, 24.0),
    formats: tuple[str, ...] = ("mp4",),
    size: tuple[int, int] = (320, 240),
    fps: float = 25.0,
) -> list[Path]:
    """Write ``n_videos`` random demo videos (cycling through ``formats``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n_videos):
        fmt = formats[i % len(formats)]
        scenes = random_scenes(rng, round(rng.uniform(*duration), 1))
        path = folder / f"video_{seed}_{i:04d}.{fmt}"
        write_video(path, scenes, width=size[0], height=size[1], fps=fps, fmt=fmt, seed=seed + i)
        paths.append(path)
    return paths
