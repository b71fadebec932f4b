"""A library of synthetic videos (random unit vectors, no media) for the search-feature tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidseek.core.library import Library
from vidseek.core.types import ModelIdentity, PooledSegment, VideoCommit, VideoInfo

DIM = 16
MODEL = ModelIdentity("test-net", "random", DIM, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


class FakeEncoder:
    """Stands in for the library's model; the tests search by vector."""

    identity = MODEL


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def make_commit(path: str, seed: int, n_segments: int = 5) -> VideoCommit:
    """Segments 3 s apart, so none of them touch and each hit is a clip of its own."""
    rng = np.random.default_rng(seed)
    segs = unit(rng, n_segments)
    return VideoCommit(
        path=path,
        content_hash=f"hash-{seed}",
        size=100 + seed,
        mtime=float(seed),
        info=VideoInfo(duration=3.0 * n_segments, fps=30.0, width=64, height=64, backend="pyav"),
        frame_times=np.arange(n_segments, dtype=np.float64) * 3.0,
        frame_vectors=segs,
        segments=[
            PooledSegment(start=3.0 * i, end=3.0 * i + 1, vector=segs[i], n_frames=1)
            for i in range(n_segments)
        ],
        video_vector=unit(rng, 1)[0],
    )


def open_library(home: Path, paths: Sequence[str], n_segments: int = 5) -> Library:
    lib = Library.open(home)
    lib.bind_model(MODEL)
    with lib.batch():
        for seed, path in enumerate(paths):
            lib.commit_video(make_commit(path, seed, n_segments))
    return lib
