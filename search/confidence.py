"""How sure a text search is about each moment: a calibrated probability, and the cut-off that
lets a query for something absent come back empty ("no match").

Raw cosine scores mean little on their own and shift from one query to the next. Each moment
gets two numbers: its cosine ``score`` with the query, and its ``margin``: that score minus
the moment's best score against the model's reference prompts (captions of the things the
model knows, or null prompts that describe nothing). A moment the query describes better than
any reference caption has a margin near or above zero; a near miss (right shape, wrong
background) falls below. ``search/calibration.py`` turns the pair into a probability with a
logistic fitted per model (``vidseek models calibrate``); a moment's confidence is that of its
best segment. Covered: text queries, visual evidence. Moments found by their words (speech,
subtitles, on-screen text) keep their place whatever their visual confidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Clip, Encoder, ModelIdentity
from vidseek.search.calibration import Calibration, fallback_calibration, load_calibration

RANDOM_WEIGHTS = "random"  # ModelIdentity.pretrained of a random-init model
NO_MATCH_REASON = "no moment reaches the confidence cut-off"


def check_min_confidence(value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise QueryError(f"min_confidence is a probability in [0, 1], got {value}")


@dataclass(frozen=True)
class NoMatch:
    """Why a search that found moments returns none of them."""

    min_confidence: float  # the cut-off that was applied
    best_confidence: float  # the most confident moment below it
    weaker: int  # moments below the cut-off (shown with min_confidence=0)
    reason: str = NO_MATCH_REASON

    def to_json(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "min_confidence": round(self.min_confidence, 4),
            "best_confidence": round(self.best_confidence, 4),
            "weaker": self.weaker,
        }


@dataclass(frozen=True)
class Judged:
    """Clips that pass the cut-off (confidence set on each), and why none did, if so."""

    clips: list[Clip]
    no_match: NoMatch | None = None


class ConfidenceScorer:
    """One model's calibration and its reference prompts' vectors (embedded on first use)."""

    def __init__(self, encoder: Encoder, calibration: Calibration | None = None) -> None:
        self.encoder = encoder
        self._calibration = calibration
        self._prompts: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def calibration(self) -> Calibration:
        if self._calibration is None:
            identity = self.encoder.identity
            self._calibration = load_calibration(identity) or fallback_calibration(identity)
        return self._calibration

    @property
    def judges(self) -> bool:
        """False for a model with random weights (a test double): its scores mean nothing,
        so no moment gets a confidence and none is cut."""
        return self.encoder.identity.pretrained != RANDOM_WEIGHTS

    def prompt_vectors(self) -> np.ndarray:
        """The reference prompts' vectors: embedded once per model and prompt list, then read
        from the user cache (a CLI search would otherwise embed hundreds of prompts each time)."""
        with self._lock:
            if self._prompts is None:
                prompts = list(self.calibration.prompts)
                path = prompt_cache_path(self.encoder.identity, prompts)
                self._prompts = _read_vectors(path, len(prompts))
                if self._prompts is None:
                    vectors = self.encoder.encode_texts(prompts)
                    self._prompts = np.asarray(vectors, dtype=np.float32)
                    _write_vectors(path, self._prompts)
            return self._prompts

    def features(self, query: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each segment's cosine score with ``query`` and its margin over the reference prompts."""
        # float64 throughout: float32 products differ in the last bits with the batch's
        # shape, and a confidence must not change with how many moments were asked for
        q = np.asarray(query, dtype=np.float64).ravel()
        vectors = np.asarray(vectors, dtype=np.float64)
        scores = vectors @ q
        return scores, scores - best_competitor(vectors, self.competing_prompts(q))

    def competing_prompts(self, query: np.ndarray) -> np.ndarray:
        """The reference prompts that compete with ``query``: all but its near-synonyms."""
        prompts = self.prompt_vectors()
        synonym = self.calibration.synonym_cosine
        if synonym is None:
            return prompts
        return prompts[prompts @ np.asarray(query, dtype=np.float32).ravel() < synonym]

    def confidences(self, query: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """The calibrated probability that each row of ``vectors`` (segments) matches."""
        if not len(vectors):
            return np.zeros(0)
        scores, margins = self.features(query, vectors)
        c = self.calibration
        z = c.w_score * scores + c.w_margin * margins + c.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))

    def judge(
        self,
        library: Library,
        query: np.ndarray,
        clips: Sequence[Clip],
        min_confidence: float | None = None,
    ) -> Judged:
        """Set each clip's confidence and level, and keep those at or above the cut-off
        (``min_confidence``, default the calibration's threshold; 0 keeps all). Order is kept."""
        check_min_confidence(min_confidence)
        if not self.judges:
            return Judged(list(clips))
        cut = self.calibration.threshold if min_confidence is None else min_confidence
        by_segment = self._segment_confidences(library, query, clips)
        kept: list[Clip] = []
        below: list[float] = []
        for clip in clips:
            found = [by_segment[s] for s in clip.segment_ids if s in by_segment]
            if not found:
                kept.append(clip)  # nothing visual to judge (no stored vectors)
                continue
            clip.confidence = round(max(found)[1], 4)  # that of its best-scoring segment
            clip.confidence_level = self.calibration.level(clip.confidence)
            if clip.confidence >= cut or _found_by_words(clip):
                kept.append(clip)
            else:
                below.append(clip.confidence)
        if clips and not kept:
            return Judged([], NoMatch(cut, max(below), len(below)))
        return Judged(kept)

    def _segment_confidences(
        self, library: Library, query: np.ndarray, clips: Sequence[Clip]
    ) -> dict[int, tuple[float, float]]:
        """Segment id -> (cosine score, confidence) for every segment of ``clips``."""
        vectors = segment_vectors(library, {s for c in clips for s in c.segment_ids})
        if not vectors:
            return {}
        ids = list(vectors)
        matrix = np.stack([vectors[i] for i in ids])
        scores = matrix.astype(np.float64) @ np.asarray(query, dtype=np.float64).ravel()
        probabilities = self.confidences(query, matrix)
        return {i: (float(s), float(p)) for i, s, p in zip(ids, scores, probabilities, strict=True)}


def segment_vectors(library: Library, ids: Collection[int]) -> dict[int, np.ndarray]:
    """Stored vectors of these segments, by id (from the catalog)."""
    model = library.model
    if model is None or not ids:
        return {}
    out: dict[int, np.ndarray] = {}
    for got, vectors in library.catalog.segment_vectors(model.dim, ids):
        out.update(zip((int(i) for i in got), vectors, strict=True))
    return out


def best_competitor(vectors: np.ndarray, prompts: np.ndarray) -> np.ndarray:
    """Each row's best cosine with any of ``prompts`` (-1 when there are none)."""
    if not len(prompts):
        return np.full(len(vectors), -1.0)
    vectors, prompts = np.asarray(vectors, np.float64), np.asarray(prompts, np.float64)
    return (vectors @ prompts.T).max(axis=1)


def prompt_cache_path(identity: ModelIdentity, prompts: Sequence[str]) -> Path:
    from vidseek.core.models.export import cache_root

    key = json.dumps([identity.to_json(), list(prompts)], ensure_ascii=False)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_root() / "calibration" / f"prompts-{digest}.npy"


def _read_vectors(path: Path, rows: int) -> np.ndarray | None:
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return vectors.astype(np.float32) if vectors.ndim == 2 and len(vectors) == rows else None


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    """Best effort: a read-only or full cache only costs the next process the embedding."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass


def _found_by_words(clip: Clip) -> bool:
    return any(kind != "visual" for kind in clip.matched)
