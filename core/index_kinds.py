"""Which FAISS index fits a library of a given size (in the spirit of autofaiss).

``choose_index_kind(n, dim, memory_budget)`` is a pure function. Bands (d=512, measured on
2 shared cores with ``bench/query.py``):

- ``flat``: fewer than ``FLAT_MAX`` (200k) vectors: exact brute force (~60 ms at 200k).
- ``ivf``: below ``IVF_MAX`` (500k) while the float vectors fit the budget: IVF-Flat visiting
  1/64 of the lists, exact scores. Measured at 1M (4096 lists, nprobe 64): recall@10 1.0, p50
  2.2 ms on a quiet machine but 4.8 ms under load (nprobe 32: 1.2 ms, 128: 7.6 ms), and
  2 GiB of RAM: too close to the 5 ms target, so 1M is ``ivfpq``'s.
- ``ivfpq``: beyond, or when the float vectors do not fit the budget: IVF-PQ (``pq_m`` bytes
  per vector in RAM, nprobe 16) whose ``rerank`` x k candidates are re-scored from float16
  copies of the vectors, memory-mapped (``search/rerank.py``). At 1M: recall@10 0.988, p50
  0.6 ms (re-rank 10 x k: 0.924; 40 x k: 0.998, 1.0 ms; nprobe 16 → 64 changes nothing).
  RAM is ~80 B per vector (codes + ids): ~0.8 GiB at 10M, the re-rank rows paged in only
  where touched. ``pq_m`` shrinks (64 → 32 → 16 bytes) until the codes fit the budget.
  The PQ shortlist must grow with the library (more near competitors per query): at 2M,
  re-rank 20 x k gave 0.952, about what 10 x k gave at 1M. So ``rerank_candidates`` re-scores
  ``rerank`` x k per started million vectors (200 x k at 10M), at search time, so a grown
  index keeps its recall before its rebuild.

``nlist`` is the power of two nearest 4·√n, capped at ``NLIST_MAX``: k-means on 64 samples
per list and assigning every vector to a list cost O(n · nlist · d), which at 10M and 16k
lists would take hours on two cores; longer lists cost a little latency instead.

Why IVF and not HNSW: IVF supports ``remove_ids`` (a replaced or deleted video must leave the
index; ``IndexHNSW`` cannot remove), adding after training, filtered search with an
``IDSelector``, and read-only memory-mapped loading (``IO_FLAG_MMAP``).

The budget defaults to 8 GiB and can be set with ``$VIDSEEK_INDEX_MEMORY`` (bytes, or with a
K/M/G/T suffix).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Any

FLAT_MAX = 200_000  # below this, exact search is fast enough (tens of ms per query)
IVF_MAX = 500_000  # from here IVF-Flat scans too many float vectors (p50 -> 5 ms at 1M)
NLIST_MAX = 4096
NPROBE_PQ = 16  # ivfpq lists visited per query (recall saturates at 16 of 4096 at 1M)
RERANK = 20  # ivfpq candidates re-scored exactly: RERANK x k (0.924 at 10, 0.988 at 20)
PQ_CENTROIDS = 256  # per sub-quantizer (8-bit codes)
RERANK_UNIT = 1_000_000  # the shortlist grows by rerank x k per this many vectors
DEFAULT_MEMORY_BUDGET = 8 * 2**30  # bytes the vector index may use
MEMORY_ENV = "VIDSEEK_INDEX_MEMORY"
KINDS = ("flat", "ivf", "ivfpq")
_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


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
        if self.kind == "ivfpq" and (self.pq_m < 1 or self.rerank < 1):
            raise ValueError(f"ivfpq needs pq_m >= 1 and rerank >= 1, got {self}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> IndexSpec:
        """The spec of a manifest; manifests written before index kinds existed mean flat."""
        return cls(**(data or {}))


def ivf_lists(n: int) -> int:
    """``nlist``: the power of two nearest 4·√n, between 64 and ``NLIST_MAX``."""
    target = 4 * math.sqrt(max(n, 1))
    return int(min(NLIST_MAX, max(64, 2 ** round(math.log2(target)))))


def rerank_candidates(spec: IndexSpec, n: int, k: int) -> int:
    """How many IVF-PQ candidates to re-score exactly for the top ``k`` of ``n`` vectors."""
    return spec.rerank * k * max(1, math.ceil(n / RERANK_UNIT))


def ivfpq_bytes(n: int, dim: int, pq_m: int, nlist: int) -> int:
    """RAM of an ``ivfpq`` index: codes + list ids + re-rank ids + centroids (the float16
    re-rank rows are memory-mapped, not counted)."""
    return n * (pq_m + 16) + nlist * dim * 4


def memory_budget_from_env() -> int:
    """``$VIDSEEK_INDEX_MEMORY`` in bytes (``8G``, ``512M``, ``2000000000``), else 8 GiB."""
    raw = os.environ.get(MEMORY_ENV, "").strip().upper()
    if not raw:
        return DEFAULT_MEMORY_BUDGET
    scale = _UNITS.get(raw[-1], 1)
    try:
        return int(float(raw[:-1] if raw[-1] in _UNITS else raw) * scale)
    except ValueError as exc:
        raise ValueError(f"${MEMORY_ENV} must be a size like 8G or 512M, got {raw!r}") from exc


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
    if n < IVF_MAX and float_bytes <= budget:
        return IndexSpec("ivf", nlist=nlist, nprobe=max(16, nlist // 64))
    if n < PQ_CENTROIDS:  # too few vectors to train PQ codebooks (only with tiny FLAT_MAX)
        return IndexSpec("flat")
    candidates = [m for m in (dim // 8, dim // 16, dim // 32) if m and dim % m == 0] or [1]
    pq_m = next((m for m in candidates if ivfpq_bytes(n, dim, m, nlist) <= budget), candidates[-1])
    return IndexSpec("ivfpq", nlist=nlist, nprobe=min(nlist, NPROBE_PQ), pq_m=pq_m, rerank=RERANK)
