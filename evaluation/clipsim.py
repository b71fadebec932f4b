"""CLIPSIM: how well a video matches a text prompt (Wu et al. 2021, GODIVA, arXiv 2104.14806).

The exact definition used here (docs/EVAL.md, "CLIPSIM"):

- frames are sampled at ``fps`` frames per second of video time (default 1) by the indexing
  decoder (``default_decoder``: decord, else PyAV), the first frame of each slot
  ``[i/fps, (i+1)/fps)``, resized to the model's image size as indexing does;
- each frame is embedded with the model's image tower and the prompt with its text tower,
  both L2-normalised, and ``cosine_f`` is their dot product (raw cosine, in [-1, 1]);
- ``clipsim`` is the mean of ``cosine_f`` over the sampled frames (raw);
- ``clip_score`` is the mean over frames of ``max(100 * cosine_f, 0)``, the 100x-scaled,
  clamped convention of CLIPScore (Hessel et al. 2021; torchmetrics ``CLIPScore``).

Scores from different models are not comparable; the output always names the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidseek.core.errors import DecodeError
from vidseek.core.types import Encoder
from vidseek.indexer.frames import Decoder

DEFAULT_FPS = 1.0
CLIP_SCORE_SCALE = 100.0
METRIC = "clipsim"


@dataclass(frozen=True)
class FrameFeatures:
    """One video's sampled frames: their times (seconds) and unit image vectors."""

    path: Path
    times: np.ndarray  # float64 (n,)
    vectors: np.ndarray  # float32 (n, dim), unit rows


@dataclass(frozen=True)
class VideoScore:
    """CLIPSIM of one video for one prompt, with each frame's raw cosine."""

    path: Path
    prompt: str
    times: np.ndarray
    cosines: np.ndarray

    @property
    def clipsim(self) -> float:
        """Mean raw cosine over the sampled frames."""
        return float(np.mean(self.cosines))

    @property
    def clip_score(self) -> float:
        """Mean over frames of ``max(100 * cosine, 0)``."""
        return float(np.mean(np.maximum(CLIP_SCORE_SCALE * self.cosines, 0.0)))

    def to_json(self, frames: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "video": str(self.path),
            "prompt": self.prompt,
            "clipsim": round(self.clipsim, 6),
            "clip_score": round(self.clip_score, 4),
            "frames": len(self.cosines),
        }
        if frames:
            out["frame_scores"] = [
                {"time": round(float(t), 3), "cosine": round(float(c), 6)}
                for t, c in zip(self.times, self.cosines, strict=True)
            ]
        return out


def frame_features(
    path: Path,
    encoder: Encoder,
    *,
    fps: float = DEFAULT_FPS,
    decoder: Decoder | None = None,
) -> FrameFeatures:
    """Decode ``path`` at ``fps`` and embed every sampled frame with the image tower."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    own = decoder is None
    if decoder is None:
        from vidseek.indexer.decode import default_decoder

        decoder = default_decoder()
    times: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    try:
        short_side = encoder.identity.image_size
        for batch in decoder.frames(Path(path), fps, short_side, encoder.batch_size):
            times.append(batch.times)
            vectors.append(encoder.encode_images(list(batch.images)))
    finally:
        if own:
            decoder.close()
    if not times:
        raise DecodeError(f"{path}: no frames could be decoded")
    return FrameFeatures(
        Path(path),
        np.concatenate(times).astype(np.float64),
        _unit(np.concatenate(vectors).astype(np.float32)),
    )


def text_vector(encoder: Encoder, prompt: str) -> np.ndarray:
    """The prompt's unit text vector."""
    if not prompt.strip():
        raise ValueError("the prompt is empty")
    return _unit(encoder.encode_texts([prompt]).astype(np.float32))[0]


def score_features(features: FrameFeatures, prompt: str, encoder: Encoder) -> VideoScore:
    """CLIPSIM of already embedded frames for ``prompt``."""
    cosines = features.vectors @ text_vector(encoder, prompt)
    return VideoScore(features.path, prompt, features.times, cosines.astype(np.float64))


def clipsim(path: Path, prompt: str, encoder: Encoder, *, fps: float = DEFAULT_FPS) -> VideoScore:
    """CLIPSIM of the video at ``path`` for ``prompt`` (see the module docstring)."""
    return score_features(frame_features(path, encoder, fps=fps), prompt, encoder)


def score_pairs(
    pairs: list[tuple[Path, str]], encoder: Encoder, *, fps: float = DEFAULT_FPS
) -> Iterator[VideoScore]:
    """CLIPSIM of each ``(video, prompt)``; a video listed with several prompts is decoded once."""
    cache: dict[Path, FrameFeatures] = {}
    for path, prompt in pairs:
        if path not in cache:
            cache[path] = frame_features(path, encoder, fps=fps)
        yield score_features(cache[path], prompt, encoder)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
