"""Training data for the demo model: demo-world frames with the variety of real rendering.

The training renderer here draws the four shapes from signed distances (numpy, no drawing
library) with random proportions (star inner radius and point count, triangle aspect and
apex offset, rectangle and ellipse aspect), at 8–60 % of the frame's short side, anywhere in a
frame of any common aspect ratio, at any angle, with anti-aliased or hard edges and sometimes
an outline, on a jittered background with a gradient and texture; then damages the frame like
decoded video (noise, blur, down-and-up scaling, colour jitter, JPEG with chroma subsampling)
and fits it to the model's square input as its ``resize_mode`` does (squash, or longest:
letterboxed, which keeps a portrait frame's shapes in proportion).

Every image is a function of ``(seed, index)`` only, so a pool can be built in any order or in
parallel and still be identical. Images come out as uint8 HWC arrays of the input size.
"""

from __future__ import annotations

import io
import math
import random
from itertools import product

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from vidseek.demo.world import COLORS, LANGUAGES, RGB, SHAPES, describe

# Every (shape, colour, background) the world can show; the colours always differ.
TRIPLES: list[tuple[str, str, str]] = [
    (s, c, b) for s, c, b in product(SHAPES, COLORS, COLORS) if c != b
]
PAIRS: list[tuple[str, str]] = list(product(SHAPES, COLORS))
PAIR_INDEX = {p: i for i, p in enumerate(PAIRS)}
# every phrasing of a caption: (language, with article)
VARIANTS: list[tuple[str, bool]] = [(lang, art) for lang in LANGUAGES for art in (True, False)]
FRAME_ASPECTS = (4 / 3, 16 / 9, 1.0, 9 / 16, 3 / 4, 21 / 9, 5 / 4, 3 / 2, 2 / 3)
MAX_ASPECT = 2.2  # for random_size: the old evaluation's frame sizes


def random_size(rng: random.Random, lo: int = 96, hi: int = 640) -> tuple[int, int]:
    """A (width, height) in ``lo..hi`` with landscape and portrait aspect ratios."""
    while True:
        w, h = rng.randint(lo, hi), rng.randint(lo, hi)
        if max(w, h) / min(w, h) <= MAX_ASPECT:
            return w - w % 2, h - h % 2


def squash(img: Image.Image, size: int, resample: int = Image.BILINEAR) -> np.ndarray:
    """``resize_mode: squash`` without normalisation: the whole frame resized to size²."""
    return np.asarray(img.convert("RGB").resize((size, size), resample))


def letterbox(img: Image.Image, size: int, resample: int = Image.BILINEAR, fill: int = 128):
    """``resize_mode: longest`` without normalisation: the long side to ``size``, the rest
    padded with ``fill`` on both sides (open_clip's ResizeKeepRatio + CenterCropOrPad)."""
    ratio = max(img.width, img.height) / size
    w, h = max(1, round(img.width / ratio)), max(1, round(img.height / ratio))
    out = Image.new("RGB", (size, size), (fill, fill, fill))
    out.paste(img.convert("RGB").resize((w, h), resample), ((size - w) // 2, (size - h) // 2))
    return np.asarray(out)


def fit(img: Image.Image, size: int, mode: str, resample: int = Image.BILINEAR, fill: int = 0):
    """The frame as the model's preprocessing sees it (``resize_mode`` squash or longest)."""
    if mode == "squash":
        return squash(img, size, resample)
    if mode == "longest":
        return letterbox(img, size, resample, fill)
    raise ValueError(f"training renders only squash or longest frames, not {mode!r}")


# --- shapes as convex pieces in unit coordinates (height about 1, centred on 0) ----------


def _regular(n: int, radius: float, phase: float) -> np.ndarray:
    a = phase + 2 * math.pi * np.arange(n) / n
    return np.stack([radius * np.cos(a), radius * np.sin(a)], 1)


def _pieces(shape: str, rng: random.Random) -> list[np.ndarray] | None:
    """Convex polygons (counter-clockwise vertex arrays) whose union is the shape; None: ellipse."""
    if shape == "circle":
        return None
    if shape == "square":
        return [np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])]
    if shape == "triangle":
        base = rng.uniform(0.8, 1.4)  # base width / height; equilateral is 1.155
        apex = rng.uniform(-0.2, 0.2)
        return [np.array([(apex, -0.55), (base / 2, 0.45), (-base / 2, 0.45)])]
    points = 5 if rng.random() < 0.85 else 6
    inner = rng.uniform(0.33, 0.55)
    outer = 0.55
    tips = _regular(points, outer, -math.pi / 2)
    core = _regular(points, outer * inner, -math.pi / 2 + math.pi / points)
    pieces = [core]
    for k in range(points):  # each point: its tip and the two inner vertices beside it
        pieces.append(np.stack([core[k - 1], tips[k], core[k]]))
    return pieces


def _convex_sd(poly: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """max over edges of the signed distance to the edge line (exact inside, close outside)."""
    centre = poly.mean(0)
    out = np.full(u.shape, -np.inf, dtype=np.float32)
    for a, b in zip(poly, np.roll(poly, -1, 0), strict=True):
        nx, ny = b[1] - a[1], -(b[0] - a[0])
        norm = math.hypot(nx, ny)
        nx, ny = nx / norm, ny / norm
        if (centre[0] - a[0]) * nx + (centre[1] - a[1]) * ny > 0:  # make the normal point out
            nx, ny = -nx, -ny
        np.maximum(out, (u - a[0]) * nx + (v - a[1]) * ny, out=out)
    return out


def _signed_distance(pieces, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if pieces is None:
        return np.hypot(u, v) - 0.5
    return np.min(np.stack([_convex_sd(p, u, v) for p in pieces]), 0)


def _jitter(rgb: tuple[int, int, int], rng: random.Random, amount: float) -> np.ndarray:
    return np.clip(np.array(rgb, np.float32) + [rng.uniform(-amount, amount) for _ in rgb], 0, 255)


def _background(w: int, h: int, color: np.ndarray, rng: random.Random) -> np.ndarray:
    frame = np.broadcast_to(color, (h, w, 3)).astype(np.float32)
    if rng.random() < 0.6:  # a gradient in a random direction
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = (xx / w - 0.5) * math.cos(a) + (yy / h - 0.5) * math.sin(a)
        frame = frame + ramp[..., None] * rng.uniform(0, 24)
    if rng.random() < 0.25:  # soft texture: a coarse random field scaled up
        field = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 1, (4, 4, 3))
        tex = Image.fromarray(((field * 20 + 128).clip(0, 255)).astype(np.uint8))
        tex = np.asarray(tex.resize((w, h), Image.BICUBIC), np.float32) - 128
        frame = frame + tex * rng.uniform(0.1, 0.4)
    return frame


def render(triple: tuple[str, str, str], rng: random.Random) -> Image.Image:
    """One frame of ``triple`` at a random size, aspect ratio, position, scale and angle."""
    shape, color, bg = triple
    aspect = rng.choice(FRAME_ASPECTS)
    short = rng.randint(96, 200)
    w, h = (round(short * aspect), short) if aspect >= 1 else (short, round(short / aspect))
    frame = _background(w, h, _jitter(RGB[bg], rng, 20), rng)
    size = short * math.exp(rng.uniform(math.log(0.08), math.log(0.6)))  # shape height, px
    stretch = rng.uniform(0.8, 1.25)
    sx, sy = size * stretch, size  # shape's own width and height scale
    angle = 0.0 if shape == "circle" else rng.uniform(0, 2 * math.pi)
    reach = 0.6 * max(sx, sy)
    cx = rng.uniform(min(reach, w / 2), max(w - reach, w / 2))
    cy = rng.uniform(min(reach, h / 2), max(h - reach, h / 2))
    x0, x1 = max(0, int(cx - reach) - 2), min(w, int(cx + reach) + 3)
    y0, y1 = max(0, int(cy - reach) - 2), min(h, int(cy + reach) + 3)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    c, s = math.cos(angle), math.sin(angle)
    u, v = (dx * c + dy * s) / sx, (-dx * s + dy * c) / sy
    sd = _signed_distance(_pieces(shape, rng), u, v) * min(sx, sy)  # in pixels, roughly
    soft = rng.uniform(0.6, 1.4) if rng.random() < 0.75 else 0.05  # anti-aliased or hard
    alpha = np.clip(0.5 - sd / soft, 0, 1)[..., None]
    fill = _jitter(RGB[color], rng, 20)
    patch = frame[y0:y1, x0:x1]
    if shape != "star" and rng.random() < 0.2:  # a darker or lighter rim (not on a union)
        rim = fill * rng.choice([0.55, 0.7]) if rng.random() < 0.7 else (fill + 255) / 2
        width = rng.uniform(1.0, max(1.0, 0.08 * size))
        inner = np.clip(0.5 - (sd + width) / soft, 0, 1)[..., None]
        patch[:] = patch * (1 - alpha) + (rim * (alpha - inner) + fill * inner)
    else:
        patch[:] = patch * (1 - alpha) + fill * alpha
    if rng.random() < 0.5:
        frame += np.random.default_rng(rng.randrange(1 << 30)).normal(
            0, rng.uniform(1, 7), frame.shape
        )
    return Image.fromarray(np.clip(frame, 0, 255).astype(np.uint8))


def _chroma_subsample(img: Image.Image) -> Image.Image:
    y, cb, cr = img.convert("YCbCr").split()
    half = (max(1, img.width // 2), max(1, img.height // 2))
    cb, cr = (ch.resize(half, Image.BILINEAR).resize(img.size, Image.BILINEAR) for ch in (cb, cr))
    return Image.merge("YCbCr", (y, cb, cr)).convert("RGB")


def damage(img: Image.Image, rng: random.Random) -> Image.Image:
    """Scale down and up, colour jitter, chroma subsampling, blur and JPEG artefacts."""
    if rng.random() < 0.3:  # a video scaled down then up again
        f = rng.uniform(0.4, 0.9)
        small = (max(16, int(img.width * f)), max(16, int(img.height * f)))
        img = img.resize(small, Image.BILINEAR).resize(img.size, Image.BILINEAR)
    if rng.random() < 0.7:
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.88, 1.12))
        img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.88, 1.12))
        img = ImageEnhance.Color(img).enhance(rng.uniform(0.85, 1.15))
    if rng.random() < 0.4:
        img = _chroma_subsample(img)
    if rng.random() < 0.35:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    if rng.random() < 0.8:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=rng.randint(15, 90), subsampling=rng.choice([0, 1, 2, 2]))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return img


def make_image(
    seed: int, index: int, image_size: int, mode: str = "squash", fill: int = 0
) -> np.ndarray:
    """Training image ``index`` of the pool for ``seed``; its triple is ``TRIPLES[index % n]``."""
    rng = random.Random(seed * 10_000_019 + index)
    img = damage(render(TRIPLES[index % len(TRIPLES)], rng), rng)
    resample = Image.NEAREST if rng.random() < 0.1 else Image.BILINEAR
    return fit(img, image_size, mode, resample, fill)


def make_pool(
    seed: int, start: int, stop: int, image_size: int, mode: str = "squash", fill: int = 0
) -> np.ndarray:
    """Images ``start..stop-1`` stacked as uint8 ``(n, size, size, 3)``."""
    return np.stack([make_image(seed, i, image_size, mode, fill) for i in range(start, stop)])


def caption(rng: random.Random, triple: tuple[str, str, str], p_bg: float = 0.65):
    """A random-language, random-phrasing caption and its key (background ``None`` if left out)."""
    shape, color, bg = triple
    use_bg = bg if rng.random() < p_bg else None
    text = describe(shape, color, use_bg, rng.choice(LANGUAGES), rng.random() < 0.5)
    return text, (shape, color, use_bg)


def all_captions() -> tuple[list[str], list[str]]:
    """Every full caption (variant-major, then triple) and every shape+colour caption."""
    full = [describe(s, c, b, lang, art) for lang, art in VARIANTS for s, c, b in TRIPLES]
    short = [describe(s, c, None, lang, art) for lang, art in VARIANTS for s, c in PAIRS]
    return full, short
