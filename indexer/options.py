"""Settings of an indexing job."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.segment import SegmentOptions


@dataclass(frozen=True)
class IndexOptions:
    fps: float = 1.0  # frames sampled per second of video
    segments: SegmentOptions = field(default_factory=SegmentOptions)
    decode_timeout: float = 600.0  # seconds of wall clock per file before the decoder is killed
    memory_limit_mb: int | None = 4096  # address-space cap of a decoder worker
    batch_size: int = 64  # frames per encoder call
