"""The vector index seam: segment vectors under int64 ids (= catalog segment ids), searched by
inner product on unit vectors, saved and loaded as a snapshot (``core/snapshot.py``).

``VectorIndex`` is the whole contract ``Library`` relies on; ``VectorIndexFactory`` makes
one (trained for a kind and size) or reads one from a snapshot folder. ``FaissIndex``
(``core/faiss_index.py``) implements both; a pure-numpy double lives in ``tests/``. This module
is cheap to import (no faiss): ``Library`` opens its index lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vidseek.core.index_kinds import IndexSpec


@runtime_checkable
class VectorIndex(Protocol):
    """Unit vectors under unique int64 ids, searched by inner product."""

    dim: int
    spec: IndexSpec  # kind and parameters (recorded in the manifest)
    trained_n: int  # library size an IVF kind was trained for (0: untrained kinds)

    @property
    def ntotal(self) -> int:
        """How many vectors it holds."""
        ...

    def ids(self) -> np.ndarray:
        """Every id held, int64, in no particular order."""
        ...

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (all present), float32 (len(ids), dim)."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add ``vectors`` (n, dim) under ``ids`` (n,), none of which is held yet."""
        ...

    def remove(self, ids: np.ndarray) -> int:
        """Remove those of ``ids`` that are held; returns how many."""
        ...

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(q, dim) → scores float32 (q, k) and ids int64 (q, k), best first, ties by id
        ascending; rows with fewer than k results are padded with -inf / -1. ``allowed_ids``:
        only these ids may be returned."""
        ...

    def save(self, directory: Path, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Write an atomic snapshot into ``directory`` (``fields`` join its manifest); returns
        the manifest."""
        ...

    def close(self) -> None:
        """Release files and memory; the index must not be used afterwards."""
        ...


class VectorIndexFactory(Protocol):
    """Makes indexes of one implementation: empty and trained, or read from a snapshot."""

    def train(
        self, dim: int, spec: IndexSpec, sample: np.ndarray | None, spill_dir: Path | None = None
    ) -> VectorIndex:
        """An empty index of kind ``spec``, trained on ``sample`` where the kind needs it.
        ``spill_dir``: where it may park vectors not yet saved (the snapshot folder)."""
        ...

    def training_positions(self, n: int, spec: IndexSpec) -> np.ndarray:
        """Sorted positions, among ``n`` vectors, of those to train a ``spec`` index on (none
        for kinds that need no training)."""
        ...

    def load_files(
        self, directory: Path, manifest: Mapping[str, Any], mmap: bool = False
    ) -> VectorIndex:
        """The index whose files ``manifest`` describes; IndexCorrupt if they are missing or
        damaged. ``mmap``: map what it can read-only (the index must then not be modified)."""
        ...


# --- helpers shared by implementations ---------------------------------------------------------


def as_ids(ids: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def as_vectors(x: Any, dim: int) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"expected vectors of shape (n, {dim}), got {arr.shape}")
    return arr


def empty_results(q: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of ``q`` rows of ``k`` results, all padding (-inf / -1)."""
    return np.full((q, k), -np.inf, dtype=np.float32), np.full((q, k), -1, dtype=np.int64)


def rank_row(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best k of one row of candidates: score descending, then id ascending."""
    keep = ids >= 0
    scores, ids = scores[keep], ids[keep]
    order = np.lexsort((ids, -scores.astype(np.float64)))[:k]
    return scores[order], ids[order]
