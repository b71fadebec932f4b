"""The mapper of the pipeline: one file in, one ``VideoCommit`` out (or a ``DecodeError``).

It touches no library, so any executor (inline, worker processes, Ray) can run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


def embed_video(
    item: WorkItem,
    encoder: Encoder,
    decoder: Decoder,
    options: IndexOptions,
    on_frames: Callable[[int], None] | None = None,
) -> VideoCommit:
    """Decode, embed, segment and pool one file."""
    info = decoder.probe(item.path)
    times: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    backend = info.backend
    short_side = encoder.identity.image_size
    images_encoder = per_video_encoder(encoder, options.skip_similar_frames)
    batches = decoder.frames(item.path, options.fps, short_side, options.batch_size)
    # A decoder that runs ahead on its own (an isolated worker process) must not be driven
    # from another thread.
    if not getattr(decoder, "reads_ahead", False):
        batches = read_ahead(batches, options.read_ahead)
    for batch in batches:
        backend = batch.backend or backend  # the decoder that really produced the frames
        times.append(batch.times)
        vectors.append(images_encoder.encode_images(list(batch.images)))
        if on_frames is not None:
            on_frames(len(batch.times))
    if sum(len(t) for t in times) == 0:
        raise DecodeError("no frames could be decoded")
    all_times = np.concatenate(times).astype(np.float64)
    all_vectors = np.concatenate(vectors).astype(np.float32)
    duration = info.duration if info.duration > 0 else float(all_times[-1])
    info = VideoInfo(duration, info.fps, info.width, info.height, info.codec, backend)
    return VideoCommit(
        path=str(item.path),
        content_hash=item.content_hash,
        size=item.size,
        mtime=item.mtime,
        info=info,
        frame_times=all_times,
        frame_vectors=all_vectors,
        segments=cut_segments(all_times, all_vectors, duration, options.segments),
        video_vector=mean_pool(all_vectors),
    )
