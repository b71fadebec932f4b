"""``FaissIndex``: the FAISS implementation of ``VectorIndex`` (and its factory).

The index type is picked from the vector count and a memory budget by ``choose_index_kind``
(``core/index_kinds.py``): exact flat, IVF-Flat (exact vectors, approximate probing), or
IVF-PQ whose candidates are re-scored from float16 copies of the vectors (``core/rerank.py``).
The kind, its parameters and the re-rank chunk files are recorded in the snapshot manifest
(``core/snapshot.py``). Importing this module imports faiss (slow): import it lazily.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from vidseek.core import snapshot
from vidseek.core.errors import IndexCorrupt
from vidseek.core.index_kinds import IndexSpec, choose_index_kind, rerank_candidates
from vidseek.core.ivf_torch import ListAssigner, index_device, spherical_kmeans
from vidseek.core.rerank import RerankStore, remove_unreferenced
from vidseek.core.snapshot import INDEX_FILE
from vidseek.core.vector_index import (
    VectorIndexFactory,
    as_ids,
    as_vectors,
    empty_results,
    rank_row,
)

TRAIN_PER_LIST = 64  # k-means sample: vectors per IVF list
PQ_TRAIN_MIN = 16_384  # PQ codebooks (256 centroids each) want ~40+ samples per centroid

_CLASSES = {"flat": faiss.IndexIDMap2, "ivf": faiss.IndexIVFFlat, "ivfpq": faiss.IndexIVFPQ}


class FaissIndex:
    """Inner-product search under external ids: ``IndexIDMap2(IndexFlatIP)`` (kind ``flat``,
    exact), ``IndexIVFFlat`` with a hashtable direct map (``ivf``) or ``IndexIVFPQ`` plus a
    ``RerankStore`` (``ivfpq``: ``rerank`` x k candidates re-scored from float16 vectors)."""

    def __init__(
        self,
        dim: int,
        index: faiss.Index | None = None,
        spec: IndexSpec | None = None,
        store: RerankStore | None = None,
    ) -> None:
        self.dim = int(dim)
        self.spec = spec or IndexSpec()
        if index is None:
            if self.spec.kind != "flat":
                raise ValueError(f"an empty {self.spec.kind} index needs training: use train()")
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._index = index
        self._ivf = isinstance(index, faiss.IndexIVF)
        self._store = store if self.spec.kind == "ivfpq" else None
        if self.spec.kind == "ivfpq" and store is None:
            self._store = RerankStore(self.dim)
        self.mapped = False  # set by load(mmap=True): the lists live in the file, read-only
        self.assigner: ListAssigner | None = None  # set by train(): lists found with torch
        self.trained_n = 0  # library size the IVF lists were trained for (growth check)
        if self._ivf:
            self._index.nprobe = self.spec.nprobe

    @classmethod
    def train(
        cls,
        dim: int,
        spec: IndexSpec,
        sample: np.ndarray | None,
        spill_dir: Path | None = None,
        lists_on: str | None = "auto",
    ) -> FaissIndex:
        """An empty index of kind ``spec``; IVF kinds are trained (k-means, fixed seed) on
        ``sample``. ``spill_dir``: where an ``ivfpq`` index may park re-rank rows not yet
        saved (the snapshot folder), instead of holding them all in RAM. ``lists_on``: the
        torch device that finds the IVF lists and assigns vectors added through this object
        (``search.ivf_torch``); None for faiss on the CPU; "auto" for ``index_device()``."""
        if spec.kind == "flat":
            return cls(dim)
        sample = as_vectors(sample if sample is not None else np.zeros((0, dim)), dim)
        if len(sample) < spec.nlist:
            raise ValueError(f"{spec.kind} with {spec.nlist} lists needs as many training vectors")
        if spec.kind == "ivf":
            index = faiss.index_factory(dim, f"IVF{spec.nlist},Flat", faiss.METRIC_INNER_PRODUCT)
        else:
            factory = f"IVF{spec.nlist},PQ{spec.pq_m}x8"
            index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
            index.do_polysemous_training = False  # slow, and unused: candidates are re-ranked
        device = index_device() if lists_on == "auto" else lists_on
        if device is not None:
            centroids = spherical_kmeans(sample, spec.nlist, device)
            index.quantizer.add(centroids)  # faiss's train() now skips its own k-means
        index.train(sample)
        if spec.kind == "ivf":
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        trained = cls(dim, index, spec, RerankStore(dim, spill_dir=spill_dir))
        if device is not None:
            trained.assigner = ListAssigner(centroids, device)
        return trained

    @classmethod
    def build(
        cls,
        dim: int,
        ids: np.ndarray,
        vectors: np.ndarray,
        spec: IndexSpec | None = None,
        memory_budget: int | None = None,
        lists_on: str | None = "auto",
    ) -> FaissIndex:
        """An index of the kind ``spec`` (default: ``choose_index_kind``) holding ``vectors``,
        trained on up to ``TRAIN_PER_LIST`` of them per list. More vectors can be added later;
        lists are not re-balanced until the next build."""
        ids, vectors = as_ids(ids), as_vectors(vectors, dim)
        spec = spec or choose_index_kind(len(ids), dim, memory_budget)
        sample = vectors[training_sample(len(vectors), spec)]
        index = cls.train(dim, spec, sample, lists_on=lists_on)
        index.add(ids, vectors)
        index.trained_n = len(ids)
        return index

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def _check_writable(self) -> None:
        if self.mapped:
            raise RuntimeError("a memory-mapped index is read-only; load it without mmap")

    def ids(self) -> np.ndarray:
        if not self._ivf:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        invlists = self._index.invlists
        parts = [np.zeros(0, dtype=np.int64)]
        for li in range(invlists.nlist):
            size = invlists.list_size(li)
            if size:
                ptr = invlists.get_ids(li)
                parts.append(faiss.rev_swig_ptr(ptr, size).astype(np.int64).copy())
                invlists.release_ids(li, ptr)
        return np.concatenate(parts)

    def vectors(self) -> np.ndarray:
        """All stored vectors, float32 (ntotal, dim), in the order of ``ids()`` (``ivfpq``:
        the float16-rounded re-rank copies)."""
        if self._store is None and not self._ivf:
            return self._index.index.reconstruct_n(0, self.ntotal).reshape(-1, self.dim)
        return self.vectors_of(self.ids())

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (all present), float32 (len(ids), dim)."""
        ids = as_ids(ids)
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._store is not None:
            return self._store.get(ids)
        return self._index.reconstruct_batch(ids).reshape(-1, self.dim)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._check_writable()
        ids, vectors = as_ids(ids), as_vectors(vectors, self.dim)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(ids):
            if self._store is not None:
                self._store.add(ids, vectors)
            if self.assigner is None:
                self._index.add_with_ids(vectors, ids)
            else:  # the lists' costly assignment done on the assigner's device
                lists = self.assigner(vectors)
                ptr = faiss.swig_ptr
                self._index.add_core(len(ids), ptr(vectors), ptr(ids), ptr(lists))

    def remove(self, ids: np.ndarray) -> int:
        self._check_writable()
        ids = as_ids(ids)
        if not len(ids) or not self.ntotal:
            return 0
        if self.spec.kind == "ivf":  # the hashtable direct map only removes via IDSelectorArray
            present = np.unique(ids)
            return int(self._index.remove_ids(faiss.IDSelectorArray(present)))
        # ivfpq: no direct map (it would cost ~50 B per vector); removal scans the lists.
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = as_vectors(queries, self.dim)
        out_s, out_i = empty_results(len(queries), k)
        available = self.ntotal
        sel = None  # kept referenced here: the search parameters do not own it
        if allowed_ids is not None:
            allowed = np.unique(as_ids(allowed_ids))
            available = min(available, len(allowed))
            if available:
                sel = faiss.IDSelectorBatch(allowed)
        params = None
        if self._ivf:
            params = faiss.SearchParametersIVF(sel=sel, nprobe=self.spec.nprobe)
        elif sel is not None:
            params = faiss.SearchParameters(sel=sel)
        if k <= 0 or available == 0 or not len(queries):
            return out_s, out_i
        if self._store is not None:
            return self._reranked(queries, k, available, params, out_s, out_i)
        # Ask for a few extra so equal scores straddling the cut can be ordered by id; widen
        # the search while the k-th score still ties with the last one returned.
        kk = min(available, k + 8)
        pending = np.arange(len(queries))
        while len(pending):
            scores, ids = self._index.search(queries[pending], kk, params=params)
            retry = []
            for row, qi in enumerate(pending):
                s, i = scores[row], ids[row]
                full = i[-1] >= 0
                if kk < available and full and len(s) > k and s[k - 1] <= s[-1]:
                    retry.append(qi)
                    continue
                s, i = rank_row(s, i, k)
                out_s[qi, : len(s)], out_i[qi, : len(i)] = s, i
            pending = np.array(retry, dtype=np.int64)
            kk = min(available, kk * 2)
        return out_s, out_i

    def _reranked(
        self,
        queries: np.ndarray,
        k: int,
        available: int,
        params: faiss.SearchParameters,
        out_s: np.ndarray,
        out_i: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """IVF-PQ candidates (``rerank_candidates``), re-scored exactly, best k kept."""
        assert self._store is not None
        wanted = rerank_candidates(self.spec, self.ntotal, k)
        _, cand = self._index.search(queries, min(available, wanted), params=params)
        for qi, row in enumerate(cand):
            ids = row[row >= 0]
            scores = self._store.get(ids) @ queries[qi]
            s, i = rank_row(scores, ids, k)
            out_s[qi, : len(s)], out_i[qi, : len(i)] = s, i
        return out_s, out_i

    def close(self) -> None:
        """Drop the faiss index and the re-rank maps (memory-mapped files are unmapped once
        nothing else refers to them)."""
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self._ivf = False
        self._store = None

    # --- persistence ------------------------------------------------------------------------

    def save(self, directory: Path | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Atomically write the re-rank chunks (``ivfpq``), ``segments.faiss``, then the
        manifest (``snapshot.write_manifest``); returns the manifest. Chunks no longer named
        are deleted after."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        own: dict[str, Any] = {"index": self.spec.to_json(), "trained_n": self.trained_n}
        if self._store is not None:
            own["rerank"] = self._store.save(directory, self.ids())
        data = faiss.serialize_index(self._index)  # uint8 array
        own["file_sha256"] = snapshot.atomic_write(directory / INDEX_FILE, data, "snapshot-rename")
        manifest = snapshot.write_manifest(directory, self, {**fields, **own})
        remove_unreferenced(directory, own.get("rerank") or [])
        return manifest

    @classmethod
    def load(
        cls, directory: Path | str, expected: Mapping[str, Any] | None = None, mmap: bool = False
    ) -> tuple[FaissIndex, dict[str, Any]]:
        """Read and verify a snapshot (``snapshot.load``); IndexCorrupt if it is damaged or a
        manifest field differs from ``expected``."""
        index, manifest = snapshot.load(Path(directory), cls, mmap=mmap, expected=expected)
        assert isinstance(index, FaissIndex)
        return index, manifest

    @staticmethod
    def training_positions(n: int, spec: IndexSpec) -> np.ndarray:
        return training_sample(n, spec)

    @classmethod
    def load_files(
        cls, directory: Path, manifest: Mapping[str, Any], mmap: bool = False
    ) -> FaissIndex:
        """The index ``manifest`` describes. ``mmap``: map IVF lists read-only from the file
        instead of copying them into memory (serving large libraries; ignored for flat). Such
        an index must not be modified. ``ivfpq`` re-rank rows are always mapped read-only
        (they are immutable files)."""
        try:
            spec = IndexSpec.from_json(manifest.get("index"))
        except (TypeError, ValueError) as exc:
            raise IndexCorrupt(f"manifest index kind is invalid: {exc}") from exc
        path = directory / INDEX_FILE
        try:
            if mmap and spec.kind != "flat":
                digest = hashlib.sha256()
                with path.open("rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
                data = None
            else:
                data = path.read_bytes()
                digest = hashlib.sha256(data)
        except OSError as exc:
            raise IndexCorrupt(f"cannot read {INDEX_FILE}: {exc}") from exc
        if digest.hexdigest() != manifest.get("file_sha256"):
            raise IndexCorrupt(f"{INDEX_FILE} checksum does not match the manifest")
        try:
            if data is None:
                index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            else:
                index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except (RuntimeError, ValueError) as exc:
            raise IndexCorrupt(f"cannot parse {INDEX_FILE}: {exc}") from exc
        if not isinstance(index, _CLASSES[spec.kind]) or index.d != manifest.get("dim"):
            raise IndexCorrupt(f"{INDEX_FILE} is not a {manifest.get('dim')}-d {spec.kind} index")
        store = None
        if spec.kind == "ivfpq":
            store = RerankStore.load(directory, manifest.get("rerank"), index.d)
        loaded = cls(index.d, index, spec, store)
        loaded.mapped = data is None
        loaded.trained_n = int(manifest.get("trained_n") or 0)
        if store is not None and store.missing(loaded.ids()):
            raise IndexCorrupt("the re-rank vectors lack some of the index's ids")
        return loaded


FAISS: VectorIndexFactory = FaissIndex  # the factory: its classmethods


def training_sample(n: int, spec: IndexSpec) -> np.ndarray:
    """Sorted positions of the (at most ``TRAIN_PER_LIST`` x nlist) vectors to train on."""
    cap = TRAIN_PER_LIST * spec.nlist
    if spec.kind == "ivfpq":
        cap = max(cap, PQ_TRAIN_MIN)
    if spec.kind == "flat":
        return np.zeros(0, dtype=np.int64)
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, cap, replace=False))
