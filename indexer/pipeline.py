"""An indexing job: discover → skip known content → decode → encode → segment → commit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.discover import content_hash, discover
from indexer.frames import Decoder
from indexer.segment import SegmentOptions, cut_segments, mean_pool
from search.errors import DecodeError
from search.library import Library
from search.types import Encoder, VideoCommit, VideoInfo


@dataclass(frozen=True)
class IndexOptions:
    fps: float = 1.0  # frames sampled per second of video
    segments: SegmentOptions = field(default_factory=SegmentOptions)
    decode_timeout: float = 600.0  # seconds of wall clock per file before the decoder is killed
    memory_limit_mb: int | None = 4096  # address-space cap of a decoder worker
    batch_size: int = 64  # frames per encoder call


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    status: str  # "indexed" | "unchanged" | "failed"
    reason: str = ""
    frames: int = 0
    segments: int = 0
    video_id: int | None = None
    duration: float = 0.0


@dataclass
class IndexReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def frames(self) -> int:
        return sum(o.frames for o in self.outcomes)

    @property
    def nothing_done(self) -> bool:
        """True when files were given but none ended indexed or unchanged."""
        return bool(self.outcomes) and not (self.of("indexed") or self.of("unchanged"))


class ProgressListener(Protocol):
    def started(self, total_files: int) -> None: ...
    def file_started(self, path: Path) -> None: ...
    def frames_encoded(self, count: int) -> None: ...
    def file_finished(self, outcome: FileOutcome) -> None: ...


class SilentProgress:
    def started(self, total_files: int) -> None: ...
    def file_started(self, path: Path) -> None: ...
    def frames_encoded(self, count: int) -> None: ...
    def file_finished(self, outcome: FileOutcome) -> None: ...


def index_paths(
    library: Library,
    encoder: Encoder,
    paths: Sequence[Path],
    *,
    options: IndexOptions | None = None,
    decoder: Decoder | None = None,
    progress: ProgressListener | None = None,
) -> IndexReport:
    """Index every video under ``paths`` into ``library``; one bad file never stops the job."""
    options = options or IndexOptions()
    progress = progress or SilentProgress()
    decoder = decoder or _isolated_default_decoder(options)
    library.bind_model(encoder.identity)
    files = discover([Path(p) for p in paths])
    report = IndexReport()
    began = time.monotonic()
    progress.started(len(files))
    with library.batch():  # commit each video durably, but rewrite the index snapshot rarely
        for path in files:
            progress.file_started(path)
            outcome = _index_one(library, encoder, decoder, path, options, progress)
            report.outcomes.append(outcome)
            progress.file_finished(outcome)
    report.seconds = time.monotonic() - began
    return report


def _isolated_default_decoder(options: IndexOptions) -> Decoder:
    from indexer.decode import default_decoder
    from indexer.isolation import IsolatedDecoder

    limit = options.memory_limit_mb * 2**20 if options.memory_limit_mb else None
    return IsolatedDecoder(
        default_decoder, timeout=options.decode_timeout, memory_limit_bytes=limit
    )


def _index_one(
    library: Library,
    encoder: Encoder,
    decoder: Decoder,
    path: Path,
    options: IndexOptions,
    progress: ProgressListener,
) -> FileOutcome:
    resolved = str(path.resolve())
    try:
        stat = path.stat()
        digest = content_hash(path)
    except OSError as exc:
        return FileOutcome(path, "failed", f"cannot read file: {exc.strerror or exc}")
    known = library.find_video_by_hash(digest)
    if known is not None:
        note = "" if known.path == resolved else f"same content as {known.path}"
        return FileOutcome(path, "unchanged", note, video_id=known.id)
    try:
        info, times, vectors = _decode_and_encode(encoder, decoder, path, options, progress)
    except DecodeError as exc:
        library.record_failure(resolved, digest, stat.st_size, str(exc))
        return FileOutcome(path, "failed", str(exc))
    segments = cut_segments(times, vectors, info.duration, options.segments)
    record = library.commit_video(
        VideoCommit(
            path=resolved,
            content_hash=digest,
            size=stat.st_size,
            mtime=stat.st_mtime,
            info=info,
            frame_times=times,
            frame_vectors=vectors,
            segments=segments,
            video_vector=mean_pool(vectors),
        )
    )
    return FileOutcome(
        path, "indexed", "", len(times), len(segments), record.id, duration=info.duration
    )


def _decode_and_encode(
    encoder: Encoder,
    decoder: Decoder,
    path: Path,
    options: IndexOptions,
    progress: ProgressListener,
) -> tuple[VideoInfo, np.ndarray, np.ndarray]:
    info = decoder.probe(path)
    times: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    short_side = encoder.identity.image_size
    backend = info.backend
    for batch in decoder.frames(path, options.fps, short_side, options.batch_size):
        backend = batch.backend or backend  # the decoder that really produced the frames
        times.append(batch.times)
        vectors.append(encoder.encode_images(list(batch.images)))
        progress.frames_encoded(len(batch.times))
    if not times or sum(len(t) for t in times) == 0:
        raise DecodeError("no frames could be decoded")
    all_times = np.concatenate(times).astype(np.float64)
    duration = info.duration if info.duration > 0 else float(all_times[-1])
    info = VideoInfo(duration, info.fps, info.width, info.height, info.codec, backend)
    return info, all_times, np.concatenate(vectors).astype(np.float32)
