"""A second, independent renderer of the demo world, for tests and benchmarks only.

It shares nothing with ``vidseek.demo.render`` (the renderer the demo model's training data
imitates) but the vocabulary: the drawing is PIL ``ImageDraw`` polygons, supersampled 4x for
anti-aliasing (or not: hard edges), with its own palette (other shades of the eight colours),
its own proportions (an equilateral triangle, a five-pointed star with the classic inner
radius 0.38, squares at any angle) and sizes: the shape's height is 10–25 % of the frame
height, anywhere in the frame, drifting and turning during its scene, on a background with
a faint gradient and sensor-like noise. Videos go through real encoders (mp4/mkv/webm).

API (the ground truth is the returned dict, also written next to the video as ``<path>.json``):

- ``held_out_world(seed, n_videos)`` → ``[VideoSpec]``: scene lists and formats, no files.
- ``render_video(path, scenes, seed, container)`` → ground truth of one video.
- ``write_world(folder, seed, n_videos)`` → ``{absolute path: ground truth}``.
- ``still_frames(seed, n)`` → ``[Still]``: single frames (one per random scene, through a
  yuv420p round trip like a decoded video), for measuring a model frame by frame.
- ``score_world(search, truths)`` → R@1 per language and phrasing and the IoU ≥ 0.5 rate, for a
  ``search(text) -> (path, start, end)`` that answers with the top-1 moment.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from vidseek.demo.world import COLORS, LANGUAGES, SHAPES, Scene, describe

# Other shades than the training renderer's, still unmistakably the named colour.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (205, 40, 45),
    "green": (40, 155, 75),
    "blue": (40, 85, 205),
    "yellow": (240, 210, 60),
    "white": (235, 235, 230),
    "black": (30, 28, 32),
    "orange": (240, 130, 35),
    "purple": (120, 50, 160),
}

# (container, codec, pix_fmt) by file extension
CONTAINERS: dict[str, tuple[str, str, str]] = {
    "mp4": ("mp4", "libx264", "yuv420p"),
    "mkv": ("matroska", "libx264", "yuv420p"),
    "webm": ("webm", "libvpx-vp9", "yuv420p"),
}
# (width, height, fps): landscape 4:3 and 16:9, square, portrait
SIZES = [(320, 240, 25.0), (384, 216, 30.0), (256, 256, 24.0), (240, 320, 25.0), (426, 240, 30.0)]
SUPERSAMPLE = 4
STAR_INNER = 0.38  # inner / outer radius of the five-pointed star


@dataclass(frozen=True)
class VideoSpec:
    name: str
    container: str
    width: int
    height: int
    fps: float
    scenes: list[Scene]
    seed: int


@dataclass(frozen=True)
class Motion:
    """Where the shape is in one scene: centre, size and angle at the start and the end."""

    x0: float
    y0: float
    x1: float
    y1: float
    height: float  # shape height in pixels
    angle0: float
    angle1: float

    def at(self, phase: float) -> tuple[float, float, float]:
        return (
            self.x0 + (self.x1 - self.x0) * phase,
            self.y0 + (self.y1 - self.y0) * phase,
            self.angle0 + (self.angle1 - self.angle0) * phase,
        )


def _outline(shape: str, angle: float) -> list[tuple[float, float]]:
    """Polygon of ``shape`` with unit height, centred on (0, 0), turned by ``angle`` degrees."""
    if shape == "square":
        pts = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
    elif shape == "triangle":  # equilateral; unit height, centroid at the origin
        side = 2 / math.sqrt(3)
        pts = [(0.0, -2 / 3), (side / 2, 1 / 3), (-side / 2, 1 / 3)]
    elif shape == "star":  # ten vertices alternating outer / inner radius
        r = 1 / (1 + math.cos(math.pi / 5))  # height of a point-up star is r (1 + cos 36°)
        pts = []
        for k in range(10):
            rad = r if k % 2 == 0 else r * STAR_INNER
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((rad * math.cos(a), rad * math.sin(a)))
        pts = [(x, y - (r - r * math.cos(math.pi / 5)) / 2) for x, y in pts]
    elif shape == "circle":
        pts = [(0.5 * math.cos(2 * math.pi * k / 96), 0.5 * math.sin(2 * math.pi * k / 96))
               for k in range(96)]  # fmt: skip
    else:
        raise ValueError(f"unknown shape {shape!r}")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(x * c - y * s, x * s + y * c) for x, y in pts]


def _shape_alpha(shape: str, height: float, angle: float, aa: bool) -> tuple[np.ndarray, int]:
    """Coverage mask (float 0..1) of the shape in a square patch and the patch's half size."""
    half = int(math.ceil(height * 0.75)) + 1
    scale = SUPERSAMPLE if aa else 1
    size = 2 * half * scale
    mask = Image.new("L", (size, size), 0)
    pts = [(size / 2 + x * height * scale, size / 2 + y * height * scale)
           for x, y in _outline(shape, angle)]  # fmt: skip
    ImageDraw.Draw(mask).polygon(pts, fill=255)
    if aa:
        mask = mask.resize((2 * half, 2 * half), Image.BOX)
    return np.asarray(mask, dtype=np.float32) / 255.0, half


def _background(color: str, width: int, height: int, rng: random.Random) -> np.ndarray:
    """A plain colour with a faint vertical gradient (±6 levels)."""
    base = np.array(PALETTE[color], dtype=np.float32)
    tilt = rng.uniform(-6.0, 6.0)
    ramp = np.linspace(-tilt, tilt, height, dtype=np.float32)[:, None, None]
    return np.broadcast_to(base + ramp, (height, width, 3)).copy()


def _motion(width: int, height: int, rng: random.Random) -> Motion:
    h = rng.uniform(0.10, 0.25) * height
    margin = 0.62 * h  # keeps every vertex of every turned shape inside the frame
    span_x, span_y = width - 2 * margin, height - 2 * margin
    x0, y0 = margin + rng.random() * span_x, margin + rng.random() * span_y
    dx, dy = rng.uniform(-0.12, 0.12) * width, rng.uniform(-0.08, 0.08) * height
    x1 = min(max(x0 + dx, margin), width - margin)
    y1 = min(max(y0 + dy, margin), height - margin)
    a0 = rng.uniform(-25.0, 25.0)
    return Motion(x0, y0, x1, y1, h, a0, a0 + rng.uniform(-20.0, 20.0))


def draw_frame(
    scene: Scene, motion: Motion, t: float, background: np.ndarray, aa: bool,
    noise: np.ndarray | None,
) -> np.ndarray:  # fmt: skip
    """One RGB uint8 frame of ``scene`` at time ``t`` over ``background`` (float HxWx3)."""
    frame = background.copy()
    height, width = frame.shape[:2]
    phase = (t - scene.start) / max(scene.end - scene.start, 1e-6)
    cx, cy, angle = motion.at(min(max(phase, 0.0), 1.0))
    alpha, half = _shape_alpha(scene.shape, motion.height, angle, aa)
    x0, y0 = int(round(cx)) - half, int(round(cy)) - half
    xa, ya = max(x0, 0), max(y0, 0)
    xb, yb = min(x0 + 2 * half, width), min(y0 + 2 * half, height)
    a = alpha[ya - y0 : yb - y0, xa - x0 : xb - x0, None]
    color = np.array(PALETTE[scene.color], dtype=np.float32)
    frame[ya:yb, xa:xb] = frame[ya:yb, xa:xb] * (1 - a) + color * a
    if noise is not None:
        frame += noise
    return np.clip(frame, 0, 255).astype(np.uint8)


def _scenes(rng: random.Random, duration: float) -> list[Scene]:
    """3–6 s scenes; the background changes at every cut (a visible shot change)."""
    scenes: list[Scene] = []
    t = 0.0
    while duration - t > 1e-6:
        length = rng.uniform(3.0, 6.0)
        end = duration if duration - (t + length) < 3.0 else t + length
        prev_bg = scenes[-1].background if scenes else None
        bg = rng.choice([c for c in COLORS if c != prev_bg])
        color = rng.choice([c for c in COLORS if c != bg])
        scenes.append(Scene(round(t, 3), round(end, 3), rng.choice(SHAPES), color, bg))
        t = end
    return scenes


def held_out_world(seed: int, n_videos: int, duration: tuple[float, float] = (15.0, 22.0)):
    """``n_videos`` video specs (scenes, container, size, fps) drawn from ``seed``."""
    rng = random.Random(seed)
    specs = []
    for i in range(n_videos):
        container = list(CONTAINERS)[i % len(CONTAINERS)]
        width, height, fps = SIZES[i % len(SIZES)]
        scenes = _scenes(rng, round(rng.uniform(*duration), 1))
        name = f"second_{seed}_{i:03d}.{container}"
        specs.append(VideoSpec(name, container, width, height, fps, scenes, seed * 1000 + i))
    return specs


def render_video(
    path: Path,
    scenes: list[Scene],
    seed: int,
    container: str = "mp4",
    width: int = 320,
    height: int = 240,
    fps: float = 25.0,
) -> dict:
    """Encode ``scenes`` into ``path`` and write ``<path>.json``; returns that ground truth."""
    path = Path(path)
    fmt, codec, pix_fmt = CONTAINERS[container]
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    aa = rng.random() < 0.7
    noise = rng.choice([0.0, 2.0, 4.0])
    motions = [_motion(width, height, rng) for _ in scenes]
    backgrounds = [_background(s.background, width, height, rng) for s in scenes]
    # sensor-like grain: a few fixed noise frames in turn (drawing it per frame is slow)
    noise_frames = [np_rng.normal(0.0, noise, (height, width, 3)).astype(np.float32)
                    for _ in range(7 if noise > 0 else 0)]  # fmt: skip
    rate = Fraction(fps).limit_denominator(1001)
    duration = scenes[-1].end
    n_frames = int(math.ceil(duration * fps - 1e-9))
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": "26"}
        else:
            stream.options = {"deadline": "realtime", "cpu-used": "8", "crf": "36", "b": "0"}
        k = 0
        for i in range(n_frames):
            t = i / fps
            while t >= scenes[k].end and k + 1 < len(scenes):
                k += 1
            grain = noise_frames[i % len(noise_frames)] if noise_frames else None
            rgb = draw_frame(scenes[k], motions[k], t, backgrounds[k], aa, grain)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    truth = {
        "path": path.name,
        "renderer": "tests/second_renderer.py",
        "width": width,
        "height": height,
        "fps": fps,
        "anti_aliased": aa,
        "noise": noise,
        "duration": duration,
        "scenes": [
            {**s.to_json(), "shape_height_px": round(m.height, 1)}
            for s, m in zip(scenes, motions, strict=True)
        ],
    }
    Path(f"{path}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
    return truth


def write_world(folder: Path, seed: int, n_videos: int) -> dict[str, dict]:
    """Render ``held_out_world(seed, n_videos)`` into ``folder``: ``{absolute path: truth}``."""
    folder.mkdir(parents=True, exist_ok=True)
    truths = {}
    for spec in held_out_world(seed, n_videos):
        path = folder / spec.name
        truths[str(path.resolve())] = render_video(
            path, spec.scenes, spec.seed, spec.container, spec.width, spec.height, spec.fps
        )
    return truths


@dataclass(frozen=True)
class Still:
    rgb: np.ndarray  # uint8 (height, width, 3)
    scene: Scene
    shape_height_px: float


def still_frames(seed: int, n: int) -> list[Still]:
    """``n`` frames, each of a random scene at a random moment of its drift, cycling through
    the frame sizes of ``held_out_world``; colour goes through yuv420p and back."""
    rng = random.Random(seed)
    stills = []
    for i in range(n):
        width, height, _ = SIZES[i % len(SIZES)]
        scene = _scenes(rng, 3.0)[0]
        motion = _motion(width, height, rng)
        background = _background(scene.background, width, height, rng)
        aa = rng.random() < 0.7
        sigma = rng.choice([0.0, 2.0, 4.0])
        grain = np.random.default_rng(seed * 100_003 + i).normal(0.0, sigma, (height, width, 3))
        rgb = draw_frame(scene, motion, 3.0 * rng.random(), background, aa, grain)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        stills.append(Still(frame.to_ndarray(format="rgb24"), scene, motion.height))
    return stills


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


Search = Callable[[str], tuple[str, float, float]]
PHRASINGS = {"shape+colour": False, "shape+colour+background": True}


def score_world(search: Search, truths: dict[str, dict]) -> dict:
    """Text → scene R@1 per phrasing and language, and the share of top-1 IoU ≥ 0.5.

    One query per distinct (shape, colour[, background]) in the world, in each language. The
    top-1 moment is right when the scene it overlaps most has the queried attributes; its IoU
    is taken against that scene (0 when it is wrong).
    """
    scenes = [s for truth in truths.values() for s in truth["scenes"]]
    recall: dict[str, dict[str, float]] = {}
    ious: list[float] = []
    misses: list[dict] = []
    for phrasing, with_bg in PHRASINGS.items():
        keys = sorted({(s["shape"], s["color"], s["background"] if with_bg else None)
                       for s in scenes})  # fmt: skip
        recall[phrasing] = {}
        for lang in LANGUAGES:
            right = 0
            for shape, color, bg in keys:
                text = describe(shape, color, bg, lang)
                path, start, end = search(text)
                found = max(truths[path]["scenes"],
                            key=lambda s: _iou((start, end), (s["start"], s["end"])))  # fmt: skip
                ok = (found["shape"], found["color"]) == (shape, color) and (
                    bg is None or found["background"] == bg
                )
                right += ok
                ious.append(_iou((start, end), (found["start"], found["end"])) if ok else 0.0)
                if not ok:
                    misses.append({"query": text, "got": [found[k] for k in
                                   ("shape", "color", "background")]})  # fmt: skip
            recall[phrasing][lang] = right / len(keys)
    return {
        "recall_at_1": recall,
        "iou_at_least_0.5": sum(i >= 0.5 for i in ious) / len(ious),
        "queries": len(ious),
        "scenes": len(scenes),
        "misses": misses,
    }
