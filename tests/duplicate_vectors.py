"""Synthetic videos as vectors, for near-duplicate tests: a video is a run of scenes (3-6 s,
each a random direction), sampled at 1 frame per second with a little noise per frame, one
segment per scene; a copy is the same frames with more noise, possibly cut."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidseek.core.types import ModelIdentity, PooledSegment, VideoCommit, VideoInfo

DIM = 64
MODEL = ModelIdentity("test-net", "random", DIM, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@dataclass
class FakeVideo:
    frames: np.ndarray  # (seconds, DIM) unit rows, one per second
    cuts: list[int]  # second at which each scene starts

    @property
    def seconds(self) -> int:
        return len(self.frames)


def fake_video(rng: np.random.Generator, seconds: int, noise: float = 0.1) -> FakeVideo:
    """Scenes of 3-6 s; frames of one scene are ~0.99 alike, of two scenes ~0."""
    frames, cuts, t = [], [], 0
    while t < seconds:
        length = min(int(rng.integers(3, 7)), seconds - t)
        look = rng.standard_normal(DIM)
        cuts.append(t)
        for _ in range(length):
            frames.append(look / np.linalg.norm(look) + noise * rng.standard_normal(DIM) / 8)
        t += length
    return FakeVideo(unit(np.array(frames)), cuts)


def copy_of(
    rng: np.random.Generator, video: FakeVideo, start: int = 0, end: int | None = None
) -> FakeVideo:
    """Seconds ``start``..``end`` of ``video`` with re-encoding noise."""
    frames = video.frames[start:end]
    noisy = unit(frames + 0.15 * rng.standard_normal(frames.shape) / np.sqrt(DIM))
    cuts = [c - start for c in video.cuts if start <= c < start + len(frames)]
    return FakeVideo(noisy, [0, *cuts] if not cuts or cuts[0] != 0 else cuts)


def join(*parts: FakeVideo) -> FakeVideo:
    frames, cuts, t = [], [], 0
    for part in parts:
        frames.append(part.frames)
        cuts += [t + c for c in part.cuts]
        t += part.seconds
    return FakeVideo(np.concatenate(frames), cuts)


def commit(path: str, video: FakeVideo) -> VideoCommit:
    """What the indexer would hand the library for ``video``: one segment per scene."""
    bounds = [*video.cuts, video.seconds]
    segments = [
        PooledSegment(float(a), float(b), unit(video.frames[a:b].mean(axis=0)), b - a)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return VideoCommit(
        path=path,
        content_hash=f"hash-{path}",
        size=1000,
        mtime=0.0,
        info=VideoInfo(duration=float(video.seconds), fps=25.0, width=64, height=64),
        frame_times=np.arange(video.seconds, dtype=np.float64),
        frame_vectors=video.frames,
        segments=segments,
        video_vector=unit(video.frames.mean(axis=0)),
    )
