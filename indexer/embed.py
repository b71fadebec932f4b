"""The mapper of the pipeline: one file in, one ``VideoCommit`` out (or a ``DecodeError``).

Two halves: ``encode_frames`` (decode, and encode the sampled frames) and ``assemble_commit``
(segment and pool them into the commit); an executor that encodes elsewhere (the parallel
one) assembles with the same function. It touches no library, so any executor (inline,
worker processes, Ray) can run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vidseek.core.errors import DecodeError
from vidseek.core.types import Encoder, VideoCommit, VideoInfo
from vidseek.indexer.dedupe import per_video_encoder
from vidseek.indexer.frames import Decoder, read_ahead
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.segment import cut_segments, mean_pool


@dataclass(frozen=True)
class WorkItem:
    """A file that needs embedding, as the reader found it."""

    path: Path
    content_hash: str
    size: int
    mtime: float


@dataclass
class EncodedFrames:
    """One file decoded and encoded: what its decoder said, each sampled frame's time and
    vector, batch by batch. ``info.backend`` is the decoder that really produced the frames
    (in a fallback chain, the one that delivered the last batch)."""

    info: VideoInfo
    times: list[np.ndarray] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)

    def add(self, times: np.ndarray, vectors: np.ndarray, backend: str = "") -> None:
        self.times.append(times)
        self.vectors.append(vectors)
        if backend:
            self.info = replace(self.info, backend=backend)

    def __len__(self) -> int:
        return sum(len(t) for t in self.times)


def encode_frames(
    item: WorkItem,
    encoder: Encoder,
    decoder: Decoder,
    options: IndexOptions,
    on_frames: Callable[[int], None] | None = None,
) -> EncodedFrames:
    """Decode one file and encode its sampled frames (near-duplicates reuse a vector)."""
    encoded = EncodedFrames(decoder.probe(item.path))
    images_encoder = per_video_encoder(encoder, options.skip_similar_frames)
    short_side = encoder.identity.image_size
    batches = decoder.frames(item.path, options.fps, short_side, options.batch_size)
    if not decoder.reads_ahead:
        batches = read_ahead(batches, options.read_ahead)
    for batch in batches:
        encoded.add(batch.times, images_encoder.encode_images(list(batch.images)), batch.backend)
        if on_frames is not None:
            on_frames(len(batch.times))
    return encoded


def assemble_commit(item: WorkItem, encoded: EncodedFrames, options: IndexOptions) -> VideoCommit:
    """Segment and pool one file's frame vectors into its commit."""
    if not len(encoded):
        raise DecodeError("no frames could be decoded")
    times = np.concatenate(encoded.times).astype(np.float64)
    vectors = np.concatenate(encoded.vectors).astype(np.float32)
    info = encoded.info
    duration = info.duration if info.duration > 0 else float(times[-1])
    return VideoCommit(
        path=str(item.path),
        content_hash=item.content_hash,
        size=item.size,
        mtime=item.mtime,
        info=replace(info, duration=duration),
        frame_times=times,
        frame_vectors=vectors,
        segments=cut_segments(times, vectors, duration, options.segments),
        video_vector=mean_pool(vectors),
    )


def embed_video(
    item: WorkItem,
    encoder: Encoder,
    decoder: Decoder,
    options: IndexOptions,
    on_frames: Callable[[int], None] | None = None,
) -> VideoCommit:
    """Decode, embed, segment and pool one file."""
    return assemble_commit(item, encode_frames(item, encoder, decoder, options, on_frames), options)
