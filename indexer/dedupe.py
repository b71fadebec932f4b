"""Skip encoding frames that are nearly identical to the last frame that was encoded.

Long static shots (slides, interviews, surveillance) give many sampled frames that look the
same; they reuse the embedding of the last encoded frame instead of running the model again.

A frame counts as a repeat of the last *kept* frame when two tests agree:

1. Coarse: the mean absolute difference of 16x16 greyscale thumbnails (block means) is below
   ``threshold`` (0-255 grey levels; ``DEFAULT_THRESHOLD`` = 2.0, about the level of
   compression noise on a still picture, well under a cut or a moving object).
2. Fine: no tile of the picture changed in a way a small shift cannot explain. The grey
   picture (reduced to at most ~``FINE_WIDTH`` columns) is cut into ``TILE`` x ``TILE``
   tiles; a tile that differs by more than ``TILE_NOISE`` levels is matched against the kept
   frame shifted by up to ``SHIFT`` pixels each way, and if even the best shift leaves more
   than ``TILE_CHANGE`` levels the tile changed. The frame is new when ``CHANGED_SHARE`` of
   the tiles (at least 2) changed. A slide whose lines of small text changed passes the
   coarse test (0.3 levels for two 1280x720 slides with the same title) but fails this one
   (about 25 levels in each tile of a changed line), while a shape drifting a few pixels is
   found again by the shift (residual under 12) and a cursor or a blink is one or two tiles.

Comparing against the last kept frame, not the previous frame, means a slow pan cannot
drift far before a fresh embedding is made. ``RepeatTest`` is the test alone, for any
stage that wants to skip repeated frames (OCR looks at the frames the encoder would skip).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from vidseek.core.types import Encoder

THUMB = 16
DEFAULT_THRESHOLD = 2.0  # mean |Δgrey| on the 16x16 thumbnail, 0-255 scale
FINE_WIDTH = 320  # the fine picture: grey, reduced by an integer factor to about this width
TILE = 16  # fine-picture pixels per tile side
SHIFT = 8  # fine-picture pixels a tile may have moved each way and still count as the same
TILE_NOISE = 3.0  # mean |Δgrey| of a tile below which it is unchanged (no shift search)
TILE_CHANGE = 12.0  # mean |Δgrey| of a tile's best shift above which the tile changed
CHANGED_SHARE = 0.01  # changed tiles (share of all, at least 2) that make a new frame


def thumbnail(image: np.ndarray) -> np.ndarray:
    """16x16 grey float32 thumbnail of an RGB uint8 frame (block means; crops the remainder)."""
    return _thumbnail(_grey(image))


def fine_picture(image: np.ndarray) -> np.ndarray:
    """Grey float32 picture reduced by the integer factor that brings it to ~FINE_WIDTH."""
    return _fine(_grey(image))


def changed_tiles(kept: np.ndarray, new: np.ndarray, enough: int | None = None) -> int:
    """How many tiles of ``new`` differ from ``kept`` (fine pictures of one shape) by more
    than TILE_CHANGE even after each tile's best shift within ±SHIFT pixels; counting stops
    at ``enough``. The shift is searched at half resolution, then refined by ±1 pixel."""
    return _Kept(kept).changed_tiles(new, enough)


class _Kept:
    """A kept frame's fine picture, padded for the shift search (once per kept frame, when
    a tile first needs it)."""

    def __init__(self, fine: np.ndarray) -> None:
        h, w = fine.shape
        self.shape = fine.shape
        self.grid = max(1, h // TILE), max(1, w // TILE)
        self.tile = min(TILE, h), min(TILE, w)
        self.crop = self.grid[0] * self.tile[0], self.grid[1] * self.tile[1]
        self.fine = fine[: self.crop[0], : self.crop[1]]
        self.two_level = self.tile == (TILE, TILE)

    @functools.cached_property
    def padded(self) -> np.ndarray:
        return np.pad(self.fine, SHIFT, mode="edge")

    @functools.cached_property
    def half(self) -> np.ndarray:
        return np.pad(_halve(self.fine), SHIFT // 2, mode="edge")

    def changed_tiles(self, new: np.ndarray, enough: int | None = None) -> int:
        (th, tw), (size_y, size_x) = self.grid, self.tile
        b = new[: self.crop[0], : self.crop[1]]
        diff = np.abs(b - self.fine)
        direct = diff.reshape(th, size_y, tw, size_x).sum(axis=3).sum(axis=1)
        direct /= size_y * size_x
        busy = np.flatnonzero(direct > TILE_NOISE)
        if not len(busy):
            return 0
        busy = busy[np.argsort(direct.flat[busy])[::-1]]  # worst first: a new slide stops early
        half_b = _halve(b) if self.two_level else None
        changed = 0
        for flat in busy:
            if enough is not None and changed >= enough:
                break
            ty, tx = divmod(int(flat), tw)
            y, x = ty * size_y, tx * size_x
            tile = b[y : y + size_y, x : x + size_x]
            if half_b is not None:  # best shift of the half-size tile, then ±1 pixel around it
                h2 = TILE // 2
                region = self.half[ty * h2 : ty * h2 + h2 + SHIFT, tx * h2 : tx * h2 + h2 + SHIFT]
                residual = _residuals(
                    region, half_b[ty * h2 : (ty + 1) * h2, tx * h2 : (tx + 1) * h2]
                )
                iy, ix = divmod(int(residual.argmin()), residual.shape[1])
                sy, sx = 2 * iy, 2 * ix  # offset into `padded` at full resolution
                y0, x0 = y + max(0, sy - 1), x + max(0, sx - 1)
                region = self.padded[y0 : y + sy + 2 + TILE, x0 : x + sx + 2 + TILE]
            else:
                region = self.padded[y : y + size_y + 2 * SHIFT, x : x + size_x + 2 * SHIFT]
            changed += float(_residuals(region, tile).min()) > TILE_CHANGE
        return changed


def tiles_for_new_frame(shape: tuple[int, int]) -> int:
    """Changed tiles that make a new frame: CHANGED_SHARE of the picture's tiles, at least 2
    (one small thing moving, a cursor or a blink, is not a new picture)."""
    n = max(1, shape[0] // TILE) * max(1, shape[1] // TILE)
    return min(n, max(2, math.ceil(CHANGED_SHARE * n)))


class RepeatTest:
    """Stateful: ``is_repeat(image)`` says whether ``image`` repeats the last frame it
    answered False for (the kept frame), which it then becomes."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = float(threshold)
        self._thumb: np.ndarray | None = None
        self._kept: _Kept | None = None

    def is_repeat(self, image: np.ndarray) -> bool:
        grey = _grey(np.asarray(image))
        thumb, fine = _thumbnail(grey), _fine(grey)
        kept_thumb, kept = self._thumb, self._kept
        if kept_thumb is not None and kept is not None and fine.shape == kept.shape:
            if float(np.abs(thumb - kept_thumb).mean()) < self.threshold:
                enough = tiles_for_new_frame(fine.shape)
                if kept.changed_tiles(fine, enough) < enough:
                    return True
        self._thumb, self._kept = thumb, _Kept(fine)
        return False


class FrameDeduper:
    """Wraps an encoder for one video: ``encode_images`` reuses the last encoded frame's
    embedding for frames that ``RepeatTest`` calls repeats. Keeps state across calls."""

    def __init__(self, encoder: Encoder, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.encoder = encoder
        self.threshold = float(threshold)
        self._test = RepeatTest(threshold)
        self._last_vector: np.ndarray | None = None
        self.encoded = 0  # frames sent to the model
        self.reused = 0  # frames that reused an embedding

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Same contract as ``Encoder.encode_images``: float32 (n, dim) unit rows."""
        # source[i] = index into `fresh` whose embedding frame i gets (-1: the carried one)
        fresh: list[int] = []
        source = np.empty(len(images), dtype=np.int64)
        for i, image in enumerate(images):
            if self._test.is_repeat(image):
                source[i] = source[i - 1] if i else -1
            else:
                source[i] = len(fresh)
                fresh.append(i)
        vectors = self.encoder.encode_images([images[i] for i in fresh]) if fresh else None
        self.encoded += len(fresh)
        self.reused += len(images) - len(fresh)
        dim = self.encoder.identity.dim
        out = np.empty((len(images), dim), dtype=np.float32)
        for i, s in enumerate(source):
            out[i] = vectors[s] if s >= 0 else self._last_vector
        if len(images):
            self._last_vector = out[-1].copy()
        return out


def per_video_encoder(encoder: Encoder, threshold: float | None) -> Encoder | FrameDeduper:
    """The encoder one video's frames go through: a fresh ``FrameDeduper`` when ``threshold``
    is set (its state must not leak from one video into the next), else ``encoder`` itself."""
    return FrameDeduper(encoder, threshold) if threshold else encoder


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image.astype(np.float32)
    grey = image[..., 0].astype(np.float32)  # channel by channel: 20x faster than .mean(axis=2)
    grey += image[..., 1]
    grey += image[..., 2]
    grey /= 3
    return grey


def _thumbnail(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    if h < THUMB or w < THUMB:
        ys = np.linspace(0, h - 1, THUMB).astype(int)
        xs = np.linspace(0, w - 1, THUMB).astype(int)
        return grey[np.ix_(ys, xs)]
    bh, bw = h // THUMB, w // THUMB
    return grey[: bh * THUMB, : bw * THUMB].reshape(THUMB, bh, THUMB, bw).mean(axis=(1, 3))


def _fine(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    f = max(1, w // FINE_WIDTH)
    if f == 1:
        return grey
    return grey[: h // f * f, : w // f * f].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def _halve(picture: np.ndarray) -> np.ndarray:
    h, w = picture.shape[0] // 2, picture.shape[1] // 2
    return picture[: 2 * h, : 2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3))


def _residuals(region: np.ndarray, tile: np.ndarray) -> np.ndarray:
    """Mean |Δ| of ``tile`` against every window of its size in ``region``."""
    windows = sliding_window_view(region, tile.shape)
    return np.abs(windows - tile).sum(axis=(2, 3)) / tile.size
