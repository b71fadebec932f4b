"""Index kinds: choose_index_kind (pure) and its bands, IVF-Flat behind the VectorIndex
contract, recall."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.exact_index import ExactIndex
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.index_kinds import (
    FLAT_MAX,
    IVF_MAX,
    MEMORY_ENV,
    IndexSpec,
    choose_index_kind,
    ivf_lists,
    ivfpq_bytes,
    memory_budget_from_env,
    rerank_candidates,
)
from vidseek.core.snapshot import MANIFEST_FILE
from vidseek.core.vector_index import VectorIndex

DIM = 64
GiB = 2**30


def clustered(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    """Unit vectors around 200 centres with a low-dimensional spread (like frame embeddings)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).standard_normal((200, dim)).astype(np.float32)
    mix = np.random.default_rng(98).standard_normal((8, dim)).astype(np.float32)
    spread = rng.standard_normal((n, 8)).astype(np.float32) @ mix
    x = centres[rng.integers(0, 200, n)] + 0.4 * spread
    x += 0.01 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_small_libraries_are_flat() -> None:
    assert choose_index_kind(0, 512) == IndexSpec("flat")
    assert choose_index_kind(FLAT_MAX - 1, 512).kind == "flat"


def test_mid_size_is_ivf_flat_within_budget() -> None:
    assert choose_index_kind(FLAT_MAX, 512).kind == "ivf"
    spec = choose_index_kind(IVF_MAX - 1, 512, 8 * GiB)
    assert spec == IndexSpec("ivf", nlist=2048, nprobe=32)


def test_beyond_budget_or_size_is_ivfpq() -> None:
    assert choose_index_kind(300_000, 512, GiB // 2).kind == "ivfpq"  # floats need 0.57 GiB
    assert choose_index_kind(IVF_MAX, 512, 64 * GiB).kind == "ivfpq"
    assert choose_index_kind(1_000_000, 512) == IndexSpec("ivfpq", 4096, 16, 64, 20)
    spec = choose_index_kind(10_000_000, 512, 64 * GiB)
    assert spec == IndexSpec("ivfpq", nlist=4096, nprobe=16, pq_m=64, rerank=20)


def test_ten_million_vectors_fit_two_gib_and_pq_shrinks_to_the_budget() -> None:
    spec = choose_index_kind(10_000_000, 512, 2 * GiB)
    assert spec.pq_m == 64 and ivfpq_bytes(10**7, 512, 64, spec.nlist) <= 2 * GiB
    assert choose_index_kind(10_000_000, 512, GiB // 2).pq_m == 32
    assert choose_index_kind(10_000_000, 512, 1).pq_m == 16  # the smallest, over budget or not


def test_the_rerank_shortlist_grows_with_the_library() -> None:
    spec = choose_index_kind(1_000_000, 512)
    assert rerank_candidates(spec, 10, 10) == rerank_candidates(spec, 1_000_000, 10) == 200
    assert rerank_candidates(spec, 1_000_001, 10) == 400
    assert rerank_candidates(spec, 10_000_000, 10) == 2000


def test_memory_budget_from_env(monkeypatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert memory_budget_from_env() == 8 * GiB
    for raw, want in (("2G", 2 * GiB), ("512m", 512 * 2**20), ("1.5G", 3 * GiB // 2), ("99", 99)):
        monkeypatch.setenv(MEMORY_ENV, raw)
        assert memory_budget_from_env() == want
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(ValueError, match=MEMORY_ENV):
        memory_budget_from_env()


def test_ivf_lists_and_bad_arguments() -> None:
    assert ivf_lists(0) == 64 and ivf_lists(20_000) == 512 and ivf_lists(10**12) == 4096
    with pytest.raises(ValueError):
        choose_index_kind(-1, 512)
    with pytest.raises(ValueError):
        IndexSpec("hnsw")
    with pytest.raises(ValueError):
        IndexSpec("ivf", nlist=16, nprobe=32)
    with pytest.raises(ValueError):
        IndexSpec("ivfpq", nlist=16, nprobe=4, pq_m=8)
    assert IndexSpec.from_json(None) == IndexSpec("flat")
    spec = IndexSpec("ivf", nlist=64, nprobe=8)
    assert IndexSpec.from_json(spec.to_json()) == spec


def build_ivf(n: int = 3000, nlist: int = 64, nprobe: int = 64) -> tuple[FaissIndex, np.ndarray]:
    vectors = clustered(n, 0)
    ids = np.random.default_rng(1).permutation(10 * n)[:n].astype(np.int64)
    return FaissIndex.build(DIM, ids, vectors, IndexSpec("ivf", nlist=nlist, nprobe=nprobe)), ids


def test_ivf_recall_at_10_on_20k_vectors() -> None:
    n = 20_000
    vectors, queries = clustered(n, 0), clustered(200, 7)
    ids = np.arange(n, dtype=np.int64) * 3
    spec = IndexSpec("ivf", nlist=ivf_lists(n), nprobe=64)
    ivf, exact = FaissIndex.build(DIM, ids, vectors, spec), ExactIndex(DIM)
    exact.add(ids, vectors)
    _, got = ivf.search(queries, 10)
    _, want = exact.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want, strict=True)])
    assert recall >= 0.95


def test_ivf_keeps_the_contract_when_probing_every_list() -> None:
    ivf, ids = build_ivf()
    exact = ExactIndex(DIM)
    exact.add(ivf.ids(), ivf.vectors())
    assert isinstance(ivf, VectorIndex) and ivf.ntotal == len(ids)
    assert set(ivf.ids()) == set(ids)
    queries = clustered(20, 5)
    np.testing.assert_array_equal(ivf.search(queries, 10)[1], exact.search(queries, 10)[1])
    allowed = ids[::7]
    np.testing.assert_array_equal(
        ivf.search(queries, 5, allowed)[1], exact.search(queries, 5, allowed)[1]
    )
    gone = ids[:100]
    assert ivf.remove(np.concatenate([gone, [-5]])) == 100
    exact.remove(gone)
    assert ivf.ntotal == len(ids) - 100 and not set(gone) & set(ivf.ids())
    np.testing.assert_array_equal(ivf.search(queries, 10)[1], exact.search(queries, 10)[1])
    extra = clustered(10, 9)
    ivf.add(np.arange(10) + 10**9, extra)
    assert ivf.search(extra[:1], 1)[1][0, 0] == 10**9


def test_ivf_vectors_are_exact_in_id_order() -> None:
    vectors = clustered(1000, 3)
    ids = np.arange(1000, dtype=np.int64) + 500
    ivf = FaissIndex.build(DIM, ids, vectors, IndexSpec("ivf", nlist=16, nprobe=4))
    order = np.argsort(ivf.ids())
    np.testing.assert_array_equal(ivf.ids()[order], ids)
    np.testing.assert_array_equal(ivf.vectors()[order], vectors)


@pytest.mark.parametrize("mmap", [False, True])
def test_ivf_snapshot_round_trip(tmp_path, mmap: bool) -> None:
    ivf, ids = build_ivf()
    manifest = ivf.save(tmp_path, {"model": "x"})
    assert manifest["index"] == {"kind": "ivf", "nlist": 64, "nprobe": 64, "pq_m": 0, "rerank": 0}
    assert manifest["trained_n"] == 3000 and "rerank" not in manifest
    assert json.loads((tmp_path / MANIFEST_FILE).read_text())["index"]["kind"] == "ivf"
    loaded, _ = FaissIndex.load(tmp_path, mmap=mmap)
    assert loaded.spec == ivf.spec and loaded.ntotal == ivf.ntotal
    queries = clustered(10, 4)
    for a, b in zip(loaded.search(queries, 10), ivf.search(queries, 10), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.mapped is mmap
    if mmap:
        with pytest.raises(RuntimeError, match="read-only"):
            loaded.remove(ids[:1])


def test_flat_build_and_untrained_kinds() -> None:
    vectors = clustered(100, 2)
    flat = FaissIndex.build(DIM, np.arange(100), vectors)
    assert flat.spec.kind == "flat" and flat.ntotal == 100
    with pytest.raises(ValueError, match="training"):
        FaissIndex.build(DIM, np.arange(100), vectors, IndexSpec("ivfpq", 128, 4, 8, 10))
    with pytest.raises(ValueError):
        FaissIndex(DIM, spec=IndexSpec("ivf", nlist=8, nprobe=4))
