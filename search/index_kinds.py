"""Which FAISS index fits a library of a given size (in the spirit of autofaiss).

``choose_index_kind(n, dim, memory_budget)`` is a pure function:

- ``flat``: fewer than ``FLAT_MAX`` (200k) vectors: exact brute force.
- ``ivf``: up to ``IVF_MAX`` (5M) while the float vectors fit the budget: IVF-Flat, visits
  ``nprobe`` of ``nlist`` lists, scores are exact.
- ``ivfpq``: beyond that, when only compressed codes fit: IVF-PQ + exact re-rank (planned).

Why IVF-Flat and not HNSW for the middle band: IVF supports ``remove_ids`` (a replaced or
deleted video must leave the index; ``IndexHNSW`` cannot remove), adding after training,
filtered search with an ``IDSelector``, and read-only memory-mapped loading
(``IO_FLAG_MMAP``). ``bench/query.py`` measures HNSW too, for comparison.

``ivfpq`` is chosen by the function but not built by ``FaissIndex`` yet (it needs the exact
re-rank from stored vectors, see ``bench/query.py`` for its measured recall).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

FLAT_MAX = 200_000  # below this, exact search is fast enough (tens of ms per query)
IVF_MAX = 5_000_000  # IVF-Flat training and memory grow awkward beyond this
DEFAULT_MEMORY_BUDGET = 8 * 2**30  # bytes the vector index may use
KINDS = ("flat", "ivf", "ivfpq")


@dataclass(frozen=True)
class IndexSpec:
    """An index kind and its parameters, as recorded in the manifest."""

    kind: str = "flat"
    nlist: int = 0  # IVF lists (ivf, ivfpq)
    nprobe: int = 0  # lists visited per query (ivf, ivfpq)
    pq_m: int = 0  # PQ sub-quantizers, 8 bits each (ivfpq)
    rerank: int = 0  # candidates re-scored exactly = rerank * k (ivfpq)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown index kind {self.kind!r}; expected one of {KINDS}")
        if self.kind != "flat" and not (1 <= self.nprobe <= self.nlist):
            raise ValueError(f"{self.kind} needs 1 <= nprobe <= nlist, got {self}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> IndexSpec:
        """The spec of a manifest; manifests written before index kinds existed mean flat."""
        return cls(**(data or {}))


def ivf_lists(n: int) -> int:
    """``nlist``: the power of two nearest 4·√n, between 64 and 65536."""
    target = 4 * math.sqrt(max(n, 1))
    return int(min(65536, max(64, 2 ** round(math.log2(target)))))


def choose_index_kind(
    n: int, dim: int, memory_budget: int | None = DEFAULT_MEMORY_BUDGET
) -> IndexSpec:
    """The index for ``n`` vectors of ``dim`` floats within ``memory_budget`` bytes."""
    if n < 0 or dim <= 0:
        raise ValueError(f"need n >= 0 and dim > 0, got n={n}, dim={dim}")
    budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
    if n < FLAT_MAX:
        return IndexSpec("flat")
    nlist = ivf_lists(n)
    float_bytes = n * (dim * 4 + 8) + nlist * dim * 4
    if n <= IVF_MAX and float_bytes <= budget:
        # 1/16 of the lists (at least 16): recall@10 >= 0.95 on clustered data.
        return IndexSpec("ivf", nlist=nlist, nprobe=max(16, nlist // 16))
    pq_m = next((m for m in (dim // 8, dim // 16, dim // 32) if m and dim % m == 0), 1)
    return IndexSpec("ivfpq", nlist=nlist, nprobe=min(nlist, 32), pq_m=pq_m, rerank=10)
