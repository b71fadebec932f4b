"""Skip encoding frames that are nearly identical to the last frame that was encoded.

Long static shots (slides, interviews, surveillance) give many sampled frames that look the
same; they reuse the embedding of the last encoded frame instead of running the model again.

The test is cheap: each frame is reduced to a 16x16 greyscale thumbnail (block means), and a
frame counts as a repeat when the mean absolute difference to the thumbnail of the last
*encoded* frame is below ``threshold`` (0-255 grey levels; ``DEFAULT_THRESHOLD`` = 2.0,
about the level of compression noise on a still picture, well under a cut or a moving
object). Comparing against the last encoded frame, not the previous frame, means a slow pan
cannot drift far before a fresh embedding is made.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vidseek.core.types import Encoder

THUMB = 16
DEFAULT_THRESHOLD = 2.0  # mean |Δgrey| on the 16x16 thumbnail, 0-255 scale


def thumbnail(image: np.ndarray) -> np.ndarray:
    """16x16 grey float32 thumbnail of an RGB uint8 frame (block means; crops the remainder)."""
    h, w = image.shape[:2]
    bh, bw = max(1, h // THUMB), max(1, w // THUMB)
    if h < THUMB or w < THUMB:
        grey = image.mean(axis=2, dtype=np.float32) if image.ndim == 3 else image.astype(np.float32)
        ys = np.linspace(0, h - 1, THUMB).astype(int)
        xs = np.linspace(0, w - 1, THUMB).astype(int)
        return grey[np.ix_(ys, xs)]
    crop = image[: bh * THUMB, : bw * THUMB]
    grey = crop.mean(axis=2, dtype=np.float32) if crop.ndim == 3 else crop.astype(np.float32)
    return grey.reshape(THUMB, bh, THUMB, bw).mean(axis=(1, 3))


class FrameDeduper:
    """Wraps an encoder for one video: ``encode_images`` reuses the last encoded frame's
    embedding for frames within ``threshold`` of it. Keeps state across calls (batches)."""

    def __init__(self, encoder: Encoder, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.encoder = encoder
        self.threshold = float(threshold)
        self._last_thumb: np.ndarray | None = None
        self._last_vector: np.ndarray | None = None
        self.encoded = 0  # frames sent to the model
        self.reused = 0  # frames that reused an embedding

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Same contract as ``Encoder.encode_images``: float32 (n, dim) unit rows."""
        # source[i] = index into `fresh` whose embedding frame i gets (-1: the carried one)
        fresh: list[int] = []
        source = np.empty(len(images), dtype=np.int64)
        last = self._last_thumb
        for i, image in enumerate(images):
            thumb = thumbnail(np.asarray(image))
            if last is not None and float(np.abs(thumb - last).mean()) < self.threshold:
                source[i] = source[i - 1] if i else -1
            else:
                source[i] = len(fresh)
                fresh.append(i)
                last = thumb
        self._last_thumb = last
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
