"""Candidate pairs of videos for the near-duplicate scan: every segment vector of a video is a
query for its nearest segments.

Up to ``SCAN_EXACT_MAX`` segments (or as many query x indexed segments: a few new videos
looked for in a large library) the library's own vector index answers (exact while it is
flat). Beyond, a flat index would make the scan quadratic (every query reads every vector), so
the scan builds its own IVF over the segment vectors, FAISS on the CPU: ~4·√n lists
(``scan_lists``) and a fixed ``SCAN_NPROBE`` of them visited per query, so a query reads
O(√n) vectors and the scan costs O(n·√n), not O(n²) (``ScanIndex``). Copies are
near-identical vectors, which an IVF finds in the query's own list or the next ones: recall
is checked by ``bench/duplicates.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np

from vidseek.core.catalog import SegmentTable
from vidseek.core.index_kinds import NLIST_MAX
from vidseek.core.library import Library

SCAN_EXACT_MAX = 5_000  # segments: up to here the library's own index answers
SCAN_NPROBE = 16


def candidate_pairs(
    library: Library,
    table: SegmentTable,
    query_ids: np.ndarray | None,
    neighbours: int,
    floor: float,
) -> tuple[set[tuple[int, int]], float]:
    """Pairs (lower id, higher id) of videos with a segment at least ``floor`` alike, looked
    for from the segments ``query_ids`` (all when None); and the seconds spent building the
    scan's index and searching (reading the vectors not counted)."""
    model = library.model
    assert model is not None
    n = len(table.ids)
    if not n:
        return set(), 0.0
    queries = n if query_ids is None else len(query_ids)
    started = time.perf_counter()
    search = ScanIndex(library, table, model.dim) if queries * n > SCAN_EXACT_MAX**2 else None
    pairs: set[tuple[int, int]] = set()
    searching = time.perf_counter() - started
    for ids, vectors in library.catalog.segment_vectors(model.dim, ids=query_ids):
        pos = np.minimum(np.searchsorted(table.ids, ids), len(table.ids) - 1)
        known = table.ids[pos] == ids  # a segment committed since the table was read waits
        ids, vectors, sources = ids[known], vectors[known], table.video_ids[pos[known]]
        t0 = time.perf_counter()
        found = _search(library, table, search, vectors, neighbours + 1)
        for src, hits in zip(sources, found, strict=True):
            for video_id, score in hits:
                if video_id != src and score >= floor:
                    pairs.add((min(video_id, int(src)), max(video_id, int(src))))
        searching += time.perf_counter() - t0
    return pairs, searching


def _search(
    library: Library, table: SegmentTable, index: ScanIndex | None, vectors: np.ndarray, k: int
) -> Iterator[list[tuple[int, float]]]:
    """(video id, score) of the ``k`` nearest segments of each row of ``vectors``."""
    if index is None:
        for hits in library.search_vectors(vectors, k):
            yield [(h.video_id, h.score) for h in hits]
        return
    scores, ids = index.search(vectors, k)
    for srow, irow in zip(scores, ids, strict=True):
        found = irow[irow >= 0]
        pos = np.minimum(np.searchsorted(table.ids, found), len(table.ids) - 1)
        known = table.ids[pos] == found  # a segment removed meanwhile is not in the table
        videos = table.video_ids[pos[known]].tolist()
        yield list(zip(videos, srow[irow >= 0][known].tolist(), strict=True))


def scan_lists(n: int) -> int:
    """The power of two nearest 4·√n, between 1 and ``NLIST_MAX`` (as the library's IVF)."""
    return max(1, min(NLIST_MAX, n, 2 ** round(math.log2(4 * math.sqrt(max(n, 1))))))


class ScanIndex:
    """An IVF over every segment vector, for one scan (never saved). Its lists are centred on
    evenly spaced segment vectors instead of k-means centroids: k-means on 4·√n lists would
    cost more than the whole scan (~40 s of CPU at 45k vectors), and lists only have to keep
    near-identical vectors together, which any partition of the sphere does."""

    def __init__(self, library: Library, table: SegmentTable, dim: int) -> None:
        import faiss  # the scan's own index; the library's goes through core.vector_index

        n = len(table.ids)
        nlist = scan_lists(n)
        picked = table.ids[np.unique(np.linspace(0, n - 1, nlist).astype(np.int64))]
        centroids = np.concatenate([v for _, v in library.catalog.segment_vectors(dim, picked)])
        quantizer = faiss.IndexFlatIP(dim)
        quantizer.add(centroids)
        self._quantizer = quantizer  # the index refers to it; keep it alive
        self.index = faiss.IndexIVFFlat(quantizer, dim, len(centroids), faiss.METRIC_INNER_PRODUCT)
        self.index.train(centroids)  # lists given: faiss skips its k-means
        self.index.nprobe = min(SCAN_NPROBE, len(centroids))
        for ids, vectors in library.catalog.segment_vectors(dim):
            self.index.add_with_ids(vectors, ids)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
