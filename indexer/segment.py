"""Cut a video's frame vectors into segments and pool them (CLIP4Clip meanP).

Segments are sliding windows that never straddle a shot change: shots are found where the
cosine similarity of consecutive frame vectors drops below ``shot_threshold``, and windows
are laid out inside each shot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidseek.core.types import PooledSegment


@dataclass(frozen=True)
class SegmentOptions:
    window: float = 4.0  # seconds
    stride: float = 2.0  # seconds between window starts (window - stride = overlap)
    shot_threshold: float = 0.85  # consecutive-frame cosine below this starts a new shot


def mean_pool(vectors: np.ndarray) -> np.ndarray:
    """L2-normalised mean of unit rows (meanP): the vector of a set of frames."""
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = np.linalg.norm(mean)
    return (mean / norm if norm > 0 else mean).astype(np.float32)


def shot_starts(vectors: np.ndarray, threshold: float) -> list[int]:
    """Frame indices that begin a shot (always includes 0 for a non-empty video)."""
    if len(vectors) == 0:
        return []
    similarity = np.einsum("ij,ij->i", vectors[1:], vectors[:-1])
    return [0, *(int(i) + 1 for i in np.flatnonzero(similarity < threshold))]


def _frame_ends(times: np.ndarray, duration: float) -> np.ndarray:
    """Each frame stands for the time until the next sampled frame (the last: until the end)."""
    ends = np.empty_like(times)
    ends[:-1] = times[1:]
    ends[-1] = max(duration, times[-1]) if duration > times[-1] else times[-1] + _step(times)
    return ends


def _step(times: np.ndarray) -> float:
    return float(np.median(np.diff(times))) if len(times) > 1 else 1.0


def cut_segments(
    times: np.ndarray, vectors: np.ndarray, duration: float, options: SegmentOptions | None = None
) -> list[PooledSegment]:
    """Windows of ``options.window`` seconds every ``options.stride`` seconds, cut at shots."""
    options = options or SegmentOptions()
    if len(times) == 0:
        return []
    ends = _frame_ends(times, duration)
    bounds = [*shot_starts(vectors, options.shot_threshold), len(times)]
    segments: list[PooledSegment] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        shot_start = float(times[lo])
        shot_end = float(ends[hi - 1])
        start = shot_start
        while True:
            stop = min(start + options.window, shot_end)
            inside = [i for i in range(lo, hi) if start <= times[i] < stop]
            if inside:
                segments.append(
                    PooledSegment(start, stop, mean_pool(vectors[inside]), n_frames=len(inside))
                )
            if stop >= shot_end - 1e-9:
                break
            start += options.stride
            if shot_end - start < options.stride / 2:  # a sliver would duplicate the last window
                break
    return segments
