"""IVF lists found and assigned with torch (search/ivf_torch.py): on the CPU here, the same
code that runs on a GPU. The index they give must search as well as faiss's own."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.test_index_kinds import DIM, clustered
from vidseek.core import ivf_torch
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.index_kinds import IndexSpec
from vidseek.core.ivf_torch import DEVICE_ENV, ListAssigner, index_device, spherical_kmeans

SPECS = {
    "ivf": IndexSpec("ivf", nlist=64, nprobe=16),
    "ivfpq": IndexSpec("ivfpq", nlist=64, nprobe=16, pq_m=16, rerank=20),
}


def recall_at_10(index: FaissIndex, ids: np.ndarray, x: np.ndarray, queries: np.ndarray) -> float:
    truth = ids[np.argsort(-(queries @ x.T), axis=1)[:, :10]]
    _, got = index.search(queries, 10)
    return float(np.mean([len(set(g) & set(t)) / 10 for g, t in zip(got, truth, strict=True)]))


def test_kmeans_gives_unit_centroids_deterministically() -> None:
    x = clustered(3000, seed=1)
    a = spherical_kmeans(x, 32, "cpu")
    b = spherical_kmeans(x, 32, "cpu")
    assert a.shape == (32, DIM) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, spherical_kmeans(x, 32, "cpu", seed=1))


def test_kmeans_fills_empty_clusters() -> None:
    # 40 distinct points, 200 copies each: with 60 lists, 20 start as duplicates and go empty
    points = clustered(40, seed=2)
    x = np.repeat(points, 200, axis=0)
    centroids = spherical_kmeans(x, 60, "cpu", niter=5)
    lists = ListAssigner(centroids, "cpu")(x)
    assert len(np.unique(lists)) == 40  # every point has its own list
    assert len(np.unique(centroids.round(5), axis=0)) == 60  # no two lists are the same


def test_kmeans_needs_as_many_vectors_as_lists() -> None:
    with pytest.raises(ValueError, match="at least as many"):
        spherical_kmeans(clustered(10, seed=3), 16, "cpu")


def test_assigner_picks_the_largest_inner_product() -> None:
    x, centroids = clustered(5000, seed=4), clustered(50, seed=5)
    expected = np.argmax(x @ centroids.T, axis=1)
    got = ListAssigner(centroids, "cpu")(x)
    assert got.dtype == np.int64 and (got == expected).mean() > 0.999  # float ties aside
    assert ListAssigner(centroids, "cpu")(x[:0]).shape == (0,)


def test_assigner_handles_more_rows_than_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivf_torch, "_SCORE_BYTES", 4 * 50 * 7)  # 7 rows per chunk
    x, centroids = clustered(100, seed=6), clustered(50, seed=7)
    assert (ListAssigner(centroids, "cpu")(x) == np.argmax(x @ centroids.T, axis=1)).all()


@pytest.mark.parametrize("kind", SPECS)
def test_torch_lists_search_as_well_as_faiss_lists(kind: str) -> None:
    x, queries = clustered(20_000, seed=8), clustered(200, seed=9)
    ids = np.arange(len(x), dtype=np.int64) * 3 + 5
    with_faiss = FaissIndex.build(DIM, ids, x, SPECS[kind], lists_on=None)
    with_torch = FaissIndex.build(DIM, ids, x, SPECS[kind], lists_on="cpu")
    assert with_faiss.assigner is None and with_torch.assigner is not None
    assert with_torch.ntotal == len(ids)
    assert sorted(with_torch.ids()) == sorted(ids)
    np.testing.assert_allclose(with_torch.vectors_of(ids[:5]), x[:5], atol=1e-3)
    faiss_recall = recall_at_10(with_faiss, ids, x, queries)
    torch_recall = recall_at_10(with_torch, ids, x, queries)
    assert torch_recall >= faiss_recall - 0.02 and torch_recall > 0.8


@pytest.mark.parametrize("kind", SPECS)
def test_vectors_land_in_the_list_faiss_would_pick(kind: str) -> None:
    x = clustered(5000, seed=10)
    ids = np.arange(len(x), dtype=np.int64)
    index = FaissIndex.build(DIM, ids, x, SPECS[kind], lists_on="cpu")
    _, faiss_lists = index._index.quantizer.search(x, 1)
    invlists = index._index.invlists
    stored = np.empty(len(x), dtype=np.int64)
    for li in range(invlists.nlist):
        for vid in index_ids(invlists, li):
            stored[vid] = li
    assert (stored == faiss_lists[:, 0]).mean() > 0.999


def index_ids(invlists, li: int) -> np.ndarray:
    import faiss

    size = invlists.list_size(li)
    return faiss.rev_swig_ptr(invlists.get_ids(li), size).copy() if size else np.zeros(0, int)


@pytest.mark.parametrize("kind", SPECS)
def test_saved_torch_built_index_loads_and_grows_with_faiss(kind: str, tmp_path) -> None:
    x = clustered(6000, seed=11)
    ids = np.arange(len(x), dtype=np.int64)
    index = FaissIndex.build(DIM, ids[:5000], x[:5000], SPECS[kind], lists_on="cpu")
    index.save(tmp_path, {"model": "m"})
    loaded, _ = FaissIndex.load(tmp_path)
    assert loaded.assigner is None  # a loaded index adds through faiss's own quantizer
    loaded.add(ids[5000:], x[5000:])
    assert loaded.remove(ids[:10]) == 10
    scores, got = loaded.search(x[5990:], 1)
    assert (got[:, 0] == ids[5990:]).all()
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=2e-3)


def test_index_device_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for raw in ("", "auto", "cpu", "CPU"):
        monkeypatch.setenv(DEVICE_ENV, raw)
        assert index_device() is None
    monkeypatch.setenv(DEVICE_ENV, "cuda")
    with pytest.raises(ValueError, match="no CUDA device"):
        index_device()
    monkeypatch.setenv(DEVICE_ENV, "gpu0")
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        index_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv(DEVICE_ENV, "auto")
    assert index_device() == "cuda"
    monkeypatch.setenv(DEVICE_ENV, "cuda:1")
    assert index_device() == "cuda:1"
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert index_device() is None
