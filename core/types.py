"""Value types and seams shared by the library, the search path and the indexer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class ModelIdentity:
    """Everything that decides which vector space an encoder writes into.

    Two encoders with equal identities produce comparable vectors; a library refuses
    any other identity than the one it was built with.
    """

    name: str  # open_clip architecture name, e.g. "ViT-B-32" or "vidseek-demo"
    pretrained: str  # pretrained tag, "hf-hub:…" id, local file path, or "random"
    dim: int
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    # For local files: a content hash, so two different files never pass as one.
    weights_sha256: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}:{self.pretrained}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelIdentity:
        raw: dict[str, Any] = json.loads(text)
        raw["mean"] = tuple(raw["mean"])
        raw["std"] = tuple(raw["std"])
        return cls(**raw)

    def differences(self, other: ModelIdentity) -> list[str]:
        """Human-readable list of fields that differ (empty when compatible)."""
        mine, theirs = asdict(self), asdict(other)
        return [f"{k}: {mine[k]!r} != {theirs[k]!r}" for k in mine if mine[k] != theirs[k]]


@runtime_checkable
class Encoder(Protocol):
    """Turns images and texts into L2-normalised float32 rows of one shared space."""

    identity: ModelIdentity
    batch_size: int  # inputs per model call (a worker loading the same model uses it too)

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 arrays of shape (H, W, 3), any size → float32 (n, dim), unit rows."""
        ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts in any language the model knows → float32 (n, dim), unit rows."""
        ...


@dataclass(frozen=True)
class VideoInfo:
    """What a decoder learned about a file."""

    duration: float  # seconds
    fps: float  # average frame rate reported by the container
    width: int
    height: int
    codec: str = ""
    backend: str = ""  # which decoder produced the frames ("decord" or "pyav")
    creation_time: float | None = None  # the container's creation_time tag, Unix seconds


@dataclass(frozen=True)
class PooledSegment:
    """A time window of one video and the pooled vector that represents it."""

    start: float
    end: float
    vector: np.ndarray  # float32 (dim,), unit norm
    n_frames: int


@dataclass
class VideoCommit:
    """Everything the indexer hands the library for one successfully indexed file."""

    path: str
    content_hash: str
    size: int
    mtime: float
    info: VideoInfo
    frame_times: np.ndarray  # float64 (n,), seconds, increasing
    frame_vectors: np.ndarray  # float32 (n, dim), unit rows
    segments: list[PooledSegment]
    video_vector: np.ndarray  # float32 (dim,), unit norm


@dataclass(frozen=True)
class VideoRecord:
    id: int
    path: str
    content_hash: str
    size: int
    duration: float | None
    fps: float | None
    width: int | None
    height: int | None
    status: str  # "indexed" | "failed"
    error: str | None
    backend: str | None = None
    n_frames: int = 0
    n_segments: int = 0


EVIDENCE_KINDS = ("speech", "subtitle", "ocr")  # text_spans.kind


@dataclass(frozen=True)
class TextSpan:
    """Text seen or heard in a video from ``start`` to ``end`` seconds: one speech segment
    (``words``: ``[start, end, word]`` triples), one subtitle cue, or one on-screen text."""

    kind: str  # one of EVIDENCE_KINDS
    start: float
    end: float
    text: str
    language: str | None = None  # ISO 639-1 ("en", "de", "zh") when known
    source: str | None = None  # what produced it: "whisper:tiny.en", "stream:2", ...
    words: list[tuple[float, float, str]] | None = None
    video_id: int | None = None
    id: int | None = None  # the catalog row, once stored

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "language": self.language,
            "source": self.source,
        }
        if self.words is not None:
            out["words"] = [[round(a, 3), round(b, 3), w] for a, b, w in self.words]
        if self.video_id is not None:
            out["video_id"] = self.video_id
        return out


@dataclass(frozen=True)
class EvidenceStatus:
    """The last extraction of one kind of evidence for one video."""

    video_id: int
    kind: str
    status: str  # "done" | "failed"
    error: str | None
    model: str | None
    updated: float  # epoch seconds
    spans: int = 0  # how many text spans of this kind the video has

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "error": self.error,
            "model": self.model,
            "spans": self.spans,
        }


@dataclass(frozen=True)
class Hit:
    """One vector-index result: a segment and its similarity to the query."""

    segment_id: int
    video_id: int
    start: float
    end: float
    score: float


@dataclass(frozen=True)
class ClipCopy:
    """The same moment in another video (a copy; see ``search/collapse.py``)."""

    video_id: int
    path: str
    start: float
    end: float
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "path": self.path,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 6),
        }


@dataclass
class Clip:
    """A ranked search result: one or more merged hits of one video."""

    video_id: int
    path: str
    start: float
    end: float
    score: float
    segment_ids: list[int] = field(default_factory=list)
    # copies of this moment folded into it (collapse_duplicates), best first
    copies: list[ClipCopy] = field(default_factory=list)
    # the evidence that found it: "visual", "speech", "subtitle", "ocr" (search/fusion.py)
    matched: list[str] = field(default_factory=lambda: ["visual"])
    # the matching text: {"text", "kind", "start", "end", "language"}; None: no text matched
    snippet: dict[str, Any] | None = None
    # calibrated probability that the moment matches a text query (search/confidence.py) and
    # its level ("high", "medium", "low"); None where not judged (image and vector queries)
    confidence: float | None = None
    confidence_level: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "video_id": self.video_id,
            "path": self.path,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 6),
            "segment_ids": self.segment_ids,
            "matched": list(self.matched),
            "snippet": self.snippet,
            "confidence": self.confidence,
            "confidence_level": self.confidence_level,
        }
        if self.copies:
            out["copies"] = [c.to_json() for c in self.copies]
        return out
