"""``ExactIndex``: a pure-numpy ``VectorIndex`` (exact, float64 scores) and its factory, the
test double of the vector index seam. Its snapshot is one ``.npz`` of ids and vectors."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.core import snapshot
from vidseek.core.errors import IndexCorrupt
from vidseek.core.index_kinds import IndexSpec
from vidseek.core.snapshot import INDEX_FILE
from vidseek.core.vector_index import as_ids, as_vectors, empty_results, rank_row


class ExactIndex:
    """Pure-numpy exact index with the same contract as ``FaissIndex``."""

    def __init__(self, dim: int) -> None:
        self.dim = int(dim)
        self.spec = IndexSpec()  # flat: never outgrown into another kind
        self.trained_n = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    @property
    def ntotal(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        ids = as_ids(ids)
        order = np.argsort(self._ids)
        pos = order[np.searchsorted(self._ids, ids, sorter=order)]
        return self._vectors[pos]

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = as_ids(ids), as_vectors(vectors, self.dim)
        self._ids = np.concatenate([self._ids, ids])
        self._vectors = np.concatenate([self._vectors, vectors])

    def remove(self, ids: np.ndarray) -> int:
        keep = ~np.isin(self._ids, as_ids(ids))
        removed = int((~keep).sum())
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]
        return removed

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = as_vectors(queries, self.dim)
        out_s, out_i = empty_results(len(queries), k)
        mask = np.ones(len(self._ids), bool)
        if allowed_ids is not None:
            mask = np.isin(self._ids, as_ids(allowed_ids))
        ids, vectors = self._ids[mask], self._vectors[mask]
        if k <= 0 or not len(ids):
            return out_s, out_i
        scores = queries.astype(np.float64) @ vectors.astype(np.float64).T
        for qi in range(len(queries)):
            s, i = rank_row(scores[qi], ids, k)
            out_s[qi, : len(s)], out_i[qi, : len(i)] = s, i
        return out_s, out_i

    def save(self, directory: Path, fields: Mapping[str, Any]) -> dict[str, Any]:
        directory.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, ids=self._ids, vectors=self._vectors)
        sha = snapshot.atomic_write(directory / INDEX_FILE, buf.getvalue(), "snapshot-rename")
        return snapshot.write_manifest(directory, self, {**fields, "exact_sha256": sha})

    def close(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)

    # --- the factory (ExactIndex itself is one) ---------------------------------------------

    @classmethod
    def train(
        cls, dim: int, spec: IndexSpec, sample: np.ndarray | None, spill_dir: Path | None = None
    ) -> ExactIndex:
        return cls(dim)

    @staticmethod
    def training_positions(n: int, spec: IndexSpec) -> np.ndarray:
        return np.zeros(0, dtype=np.int64)

    @classmethod
    def load_files(
        cls, directory: Path, manifest: Mapping[str, Any], mmap: bool = False
    ) -> ExactIndex:
        try:
            with np.load(directory / INDEX_FILE) as data:
                ids, vectors = data["ids"], data["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorrupt(f"cannot read {INDEX_FILE}: {exc}") from exc
        index = cls(vectors.shape[1])
        index.add(ids, vectors)
        return index
