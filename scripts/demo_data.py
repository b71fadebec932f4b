"""Training data for the demo model: demo-world frames made to look like decoded video.

Every image is a function of ``(seed, index)`` only, so a pool can be built in any order or
in parallel and still be identical. Images come out already preprocessed the way open_clip
does it (shortest side resized to ``image_size``, centre crop), as uint8 HWC arrays.
"""

from __future__ import annotations

import io
import random
from itertools import product

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from vidseek.demo.render import render_frame
from vidseek.demo.world import COLORS, LANGUAGES, SHAPES, Scene, describe

# Every (shape, colour, background) the world can show; the colours always differ.
TRIPLES: list[tuple[str, str, str]] = [
    (s, c, b) for s, c, b in product(SHAPES, COLORS, COLORS) if c != b
]
MAX_ASPECT = 2.2  # wider than this and a centre crop can lose the drifting shape


def random_size(rng: random.Random, lo: int = 96, hi: int = 640) -> tuple[int, int]:
    """A (width, height) in ``lo..hi`` with landscape and portrait aspect ratios."""
    while True:
        w, h = rng.randint(lo, hi), rng.randint(lo, hi)
        if max(w, h) / min(w, h) <= MAX_ASPECT:
            return w - w % 2, h - h % 2


def preprocess(img: Image.Image, size: int, resample: int = Image.BILINEAR) -> np.ndarray:
    """open_clip's transform without normalisation: shortest side to ``size``, centre crop."""
    w, h = img.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    img = img.resize((nw, nh), resample)
    left, top = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
    return np.asarray(img.crop((left, top, left + size, top + size)).convert("RGB"))


def _chroma_subsample(img: Image.Image) -> Image.Image:
    y, cb, cr = img.convert("YCbCr").split()
    half = (max(1, img.width // 2), max(1, img.height // 2))
    cb, cr = (ch.resize(half, Image.BILINEAR).resize(img.size, Image.BILINEAR) for ch in (cb, cr))
    return Image.merge("YCbCr", (y, cb, cr)).convert("RGB")


def augment(frame: np.ndarray, rng: random.Random) -> Image.Image:
    """Random crop/scale, colour jitter, chroma subsampling, blur and JPEG artefacts."""
    img = Image.fromarray(frame)
    w, h = img.size
    if rng.random() < 0.6:  # random crop keeping most of the frame
        cw, ch = int(w * rng.uniform(0.8, 1.0)), int(h * rng.uniform(0.8, 1.0))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        img = img.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.3:  # a video scaled down then up again
        f = rng.uniform(0.4, 0.9)
        small = (max(16, int(img.width * f)), max(16, int(img.height * f)))
        img = img.resize(small, Image.BILINEAR).resize(img.size, Image.BILINEAR)
    if rng.random() < 0.7:
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.9, 1.1))
        img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.9, 1.1))
        img = ImageEnhance.Color(img).enhance(rng.uniform(0.88, 1.12))
    if rng.random() < 0.5:
        img = _chroma_subsample(img)
    if rng.random() < 0.4:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    if rng.random() < 0.85:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=rng.randint(20, 90), subsampling=rng.choice([0, 1, 2, 2]))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return img


def make_image(seed: int, index: int, image_size: int) -> np.ndarray:
    """Training image ``index`` of the pool for ``seed``; its triple is ``TRIPLES[index % n]``."""
    rng = random.Random(seed * 10_000_019 + index)
    shape, color, bg = TRIPLES[index % len(TRIPLES)]
    length = rng.uniform(3.0, 6.0)
    scene = Scene(0.0, length, shape, color, bg)
    w, h = random_size(rng)
    frame = render_frame(scene, rng.uniform(0.0, length), w, h)
    resample = Image.NEAREST if rng.random() < 0.15 else Image.BILINEAR
    return preprocess(augment(frame, rng), image_size, resample)


def make_pool(seed: int, start: int, stop: int, image_size: int) -> np.ndarray:
    """Images ``start..stop-1`` stacked as uint8 ``(n, size, size, 3)``."""
    return np.stack([make_image(seed, i, image_size) for i in range(start, stop)])


def caption(rng: random.Random, triple: tuple[str, str, str], p_bg: float = 0.65):
    """A random-language, random-phrasing caption and its key (background ``None`` if left out)."""
    shape, color, bg = triple
    use_bg = bg if rng.random() < p_bg else None
    text = describe(shape, color, use_bg, rng.choice(LANGUAGES), rng.random() < 0.5)
    return text, (shape, color, use_bg)
