"""IVF lists trained and assigned with torch, so a GPU does an IVF build's heavy part.

Two steps of building an IVF index cost O(n · nlist · d): k-means for the lists, and putting
every vector in its list. Both are matrix products. faiss-cpu runs them on the CPU (minutes at
1M vectors on two cores); with CUDA torch they run here on the GPU instead, whatever faiss
build is installed. The centroids go into the faiss quantizer, so the saved index, its search
and everything after it are plain faiss. Only the PQ codebooks (ivfpq) and the PQ encoding
stay on the CPU.

The k-means is spherical, as faiss trains inner-product IVF: rows are assigned by largest
inner product and centroids renormalised. A cluster left empty takes over half of a large
one (faiss splits the same way).

``$VIDSEEK_INDEX_DEVICE``: ``auto`` (default: CUDA when torch sees a GPU, else faiss on the
CPU), ``cpu`` (always faiss), or a CUDA device such as ``cuda`` or ``cuda:1``.
"""

from __future__ import annotations

import os

import numpy as np

DEVICE_ENV = "VIDSEEK_INDEX_DEVICE"
NITER = 10  # as faiss trains IVF lists
_SCORE_BYTES = 2**28  # size of one chunk of the (rows x nlist) score matrix


def index_device() -> str | None:
    """The torch device for IVF lists, or None to leave them to faiss on the CPU."""
    raw = os.environ.get(DEVICE_ENV, "auto").strip().lower() or "auto"
    if raw == "cpu":
        return None
    import torch

    if raw == "auto":
        return "cuda" if torch.cuda.is_available() else None
    if not raw.startswith("cuda"):
        raise ValueError(f"${DEVICE_ENV} must be auto, cpu or cuda[:N], got {raw!r}")
    if not torch.cuda.is_available():
        raise ValueError(f"${DEVICE_ENV}={raw} but torch sees no CUDA device; use auto or cpu")
    return raw


def spherical_kmeans(
    x: np.ndarray, k: int, device: str, *, niter: int = NITER, seed: int = 0
) -> np.ndarray:
    """``k`` unit centroids (float32, (k, d)) of the unit rows ``x``, computed on ``device``."""
    import torch

    if len(x) < k:
        raise ValueError(f"k-means with {k} lists needs at least as many vectors, got {len(x)}")
    gen = torch.Generator().manual_seed(seed)  # on the CPU: same draws on every device
    data = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
    start = torch.randperm(len(x), generator=gen)[:k].to(device)
    centroids = data[start].clone()
    for _ in range(niter):
        lists = _nearest(data, centroids)
        sums = torch.zeros_like(centroids).index_add_(0, lists, data)
        counts = torch.bincount(lists, minlength=k)
        centroids = torch.nn.functional.normalize(sums, dim=1)
        _fill_empty(centroids, counts, gen)
    return centroids.cpu().numpy()


class ListAssigner:
    """The list (nearest centroid by inner product) of each vector, computed on ``device``."""

    def __init__(self, centroids: np.ndarray, device: str) -> None:
        import torch

        self.device = device
        self._centroids = torch.from_numpy(np.ascontiguousarray(centroids, np.float32)).to(device)

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        import torch

        if not len(vectors):
            return np.zeros(0, dtype=np.int64)
        rows = _chunk_rows(len(self._centroids))
        parts = []
        for i in range(0, len(vectors), rows):
            chunk = torch.from_numpy(np.ascontiguousarray(vectors[i : i + rows], np.float32))
            parts.append(_nearest(chunk.to(self.device), self._centroids).cpu())
        return torch.cat(parts).numpy().astype(np.int64, copy=False)


def _chunk_rows(k: int) -> int:
    return max(1, _SCORE_BYTES // (4 * k))


def _nearest(data, centroids):
    """Index of the largest inner product of each row of ``data`` with ``centroids``."""
    import torch

    rows = _chunk_rows(len(centroids))
    out = torch.empty(len(data), dtype=torch.int64, device=data.device)
    for i in range(0, len(data), rows):
        out[i : i + rows] = (data[i : i + rows] @ centroids.T).argmax(dim=1)
    return out


def _fill_empty(centroids, counts, gen) -> None:
    """Move each empty centroid next to a centroid drawn by cluster size, and split the two."""
    import torch

    empty = (counts == 0).nonzero().flatten()
    if not len(empty):
        return
    weights = (counts - 1).clamp(min=0).double().cpu()
    if not weights.sum():
        return
    donors = torch.multinomial(weights, len(empty), replacement=True, generator=gen)
    noise = (torch.rand(len(empty), centroids.shape[1], generator=gen) - 0.5) / 512
    donors, noise = donors.to(centroids.device), noise.to(centroids.device)
    base = centroids[donors]
    centroids[empty] = torch.nn.functional.normalize(base + noise, dim=1)
    centroids[donors] = torch.nn.functional.normalize(base - noise, dim=1)
