"""Settings of an indexing job."""

from __future__ import annotations

from dataclasses import dataclass, field

from vidseek.indexer.ocr import OcrOptions
from vidseek.indexer.segment import SegmentOptions


@dataclass(frozen=True)
class EvidenceOptions:
    """Which text evidence to extract besides the pictures (``indexer/evidence.py``)."""

    # "speech", "subtitle", "ocr"; None: the kinds the library was last indexed with, else
    # subtitles only (speech and OCR cost far more than the pictures: asked for, never implied)
    kinds: tuple[str, ...] | None = None
    asr_model: str | None = None  # NAME|PATH (indexer/speech.py); None: tiny.en
    asr_device: str | None = None  # "cpu", "cuda"; None: the GPU when CTranslate2 sees one
    ocr: OcrOptions = field(default_factory=OcrOptions)


@dataclass(frozen=True)
class IndexOptions:
    fps: float = 1.0  # frames sampled per second of video
    segments: SegmentOptions = field(default_factory=SegmentOptions)
    decode_timeout: float = 600.0  # seconds of wall clock per file before the decoder is killed
    memory_limit_mb: int | None = 4096  # address-space cap of a decoder worker
    batch_size: int = 64  # frames per encoder call
    # Reuse the last encoded frame's embedding for near-identical frames (indexer/dedupe.py):
    # mean |Δgrey| of 16x16 thumbnails below this (0-255 scale). None or 0: encode every frame.
    skip_similar_frames: float | None = 2.0
    # Frame batches decoded ahead while the encoder works (0: decode and encode in turn).
    read_ahead: int = 2
    # Decode reference frames only (indexer/decode_fast.py): ~2x cheaper decoding, each
    # sampled frame up to one frame (a B-frame run) late. The decoder is built from this.
    fast_decode: bool = False
    # Decode on an NVIDIA GPU (indexer/decode_cuda.py), the CPU decoders taking over where it
    # fails. The decoder worker then runs without its address-space cap (CUDA reserves more).
    gpu_decode: bool = False
    # Speech, subtitles, on-screen text: extracted in the writer after each video's commit.
    evidence: EvidenceOptions = field(default_factory=EvidenceOptions)
