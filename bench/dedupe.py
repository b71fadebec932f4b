"""Near-duplicate frame skipping on static clips: encodes saved, and what the test costs.

    .venv/bin/python -m bench.dedupe [--seconds 60] [--short-side 224]

Clips (720p, 25 fps, H.264, decoded at 1 fps to the short side ViT-B-32 sees):

- slides: a slide of a title and three lines of small text, a new slide (same title, other
  lines) every 10 s, a small cursor moving along the bottom; the right answer is one encode
  per slide (6 in 60 s).
- shapes: the demo world's drifting shapes, three long shots.
- interview: a still camera on a textured wall with grain, a head that sways a few pixels
  and blinks; nearly static, one shot.
- moving: ``bench.common.write_clip`` (textures change every 5 s, a square sweeps across):
  not static, for the cost of the test where little is skipped.

"coarse only" is the test before issue #13 (16x16 thumbnails alone), "coarse + tiles" the
current ``RepeatTest``. ms/frame is the test's own time per sampled frame (no decoding).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from bench.common import print_machine, table, write_clip
from vidseek.demo.fonts import font
from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene
from vidseek.indexer.decode import PyAVDecoder
from vidseek.indexer.dedupe import DEFAULT_THRESHOLD, RepeatTest, thumbnail

W, H, FPS = 1280, 720, 25
LINES = [
    ("Revenue grew in every region", "Hiring is paused until March", "Two offices open"),
    ("Support tickets fell by a third", "The app ships next week", "Budgets due Friday"),
    ("Churn is flat at four percent", "Pricing review in April", "New logo is final"),
    ("Server costs rose twelve percent", "Caching saves a third", "Move to ARM next"),
    ("Survey replies doubled", "Most want dark mode", "Search is too slow"),
    ("Next steps", "Hire two engineers", "Ship the beta by May"),
]


def _encode(path: Path, frames: Callable[[int], np.ndarray], seconds: float) -> Path:
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"preset": "veryfast"}
        for i in range(round(seconds * FPS)):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frames(i), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.rename(path)
    return path


def slides_clip(path: Path, seconds: float) -> Path:
    pictures = []
    for lines in LINES:
        image = Image.new("RGB", (W, H), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        draw.text((80, 60), "Quarterly review", font=font(56), fill=(20, 20, 20))
        for j, line in enumerate(lines):
            draw.text((100, 200 + 40 * j), line, font=font(24), fill=(20, 20, 20))
        pictures.append(np.asarray(image))

    def frame(i: int) -> np.ndarray:
        picture = pictures[min(len(pictures) - 1, i // (10 * FPS))].copy()
        x = 40 + (i * 3) % (W - 100)
        picture[680:700, x : x + 20] = (200, 40, 40)
        return picture

    return _encode(path, frame, seconds)


def shapes_clip(path: Path, seconds: float) -> Path:
    third = seconds / 3
    scenes = [
        Scene(0.0, third, "circle", "red", "blue"),
        Scene(third, 2 * third, "square", "yellow", "green"),
        Scene(2 * third, seconds, "triangle", "green", "red"),
    ]

    def frame(i: int) -> np.ndarray:
        t = i / FPS
        return render_frame(next(s for s in scenes if t < s.end or s is scenes[-1]), t, W, H)

    return _encode(path, frame, seconds)


def interview_clip(path: Path, seconds: float) -> Path:
    rng = np.random.default_rng(1)
    wall = (rng.integers(90, 140, (H // 8, W // 8, 1)) * np.ones((1, 1, 3))).astype(np.uint8)
    wall = wall.repeat(8, axis=0).repeat(8, axis=1)
    yy, xx = np.mgrid[0:H, 0:W]

    def frame(i: int) -> np.ndarray:
        picture = wall.astype(np.int16) + rng.integers(-6, 7, (H, W, 1))
        cx = W / 2 + 4 * np.sin(i / 20)
        head = (xx - cx) ** 2 / 150**2 + (yy - 330) ** 2 / 190**2 <= 1
        picture[head] = (205, 160, 130)
        picture[yy > 520] = (40, 50, 90)  # shoulders
        if i % 100 >= 96:  # a blink every 4 s
            picture[290:300, int(cx) - 70 : int(cx) + 70] = (120, 80, 60)
        return picture.clip(0, 255).astype(np.uint8)

    return _encode(path, frame, seconds)


def count(frames: np.ndarray, repeat: Callable[[], Callable[[np.ndarray], bool]]) -> tuple:
    is_repeat = repeat()
    t0 = time.perf_counter()
    encodes = sum(not is_repeat(f) for f in frames)
    return encodes, (time.perf_counter() - t0) / len(frames) * 1000


def coarse_only() -> Callable[[np.ndarray], bool]:
    last: list[np.ndarray] = []

    def is_repeat(image: np.ndarray) -> bool:
        thumb = thumbnail(image)
        if last and float(np.abs(thumb - last[0]).mean()) < DEFAULT_THRESHOLD:
            return True
        last[:] = [thumb]
        return False

    return is_repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--short-side", type=int, default=224)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vidseek-bench"))
    args = parser.parse_args()
    print_machine()
    args.cache.mkdir(parents=True, exist_ok=True)
    s = args.seconds
    clips = {
        "slides": slides_clip(args.cache / f"static_slides_{s:g}.mp4", s),
        "shapes": shapes_clip(args.cache / f"static_shapes_{s:g}.mp4", s),
        "interview": interview_clip(args.cache / f"static_interview_{s:g}.mp4", s),
        "moving": write_clip(args.cache / f"720p_g250_{s:g}.mp4", W, H, s),
    }
    rows = []
    for name, path in clips.items():
        batches = PyAVDecoder().frames(path, 1.0, args.short_side, 64)
        frames = np.concatenate([b.images for b in batches])
        for label, make in (("coarse only", coarse_only), ("coarse + tiles", _tiles)):
            encodes, ms = count(frames, make)
            rows.append([name, label, len(frames), encodes, 1 - encodes / len(frames), ms])
    print(table(["clip", "test", "frames", "encodes", "saved", "ms/frame"], rows))


def _tiles() -> Callable[[np.ndarray], bool]:
    return RepeatTest().is_repeat


if __name__ == "__main__":
    main()
