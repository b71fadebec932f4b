"""``--vector-store`` parsing, the Milvus index plan per size, and ``MilvusIndex`` against the
exact double (milvus-lite, a local file)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import skip_or_fail_in_ci
from tests.exact_index import ExactIndex
from vidseek.core.errors import LibraryError
from vidseek.core.index_kinds import choose_index_kind
from vidseek.core.vector_store import DEFAULT_COLLECTION, parse_vector_store

try:
    import milvus_lite  # noqa: F401
    import pymilvus  # noqa: F401
except ImportError:
    skip_or_fail_in_ci("pymilvus and milvus-lite are not installed (the milvus extra)")

from vidseek.core.milvus_index import MilvusStore, index_plan  # noqa: E402


def test_parse_vector_store(tmp_path) -> None:
    assert parse_vector_store(None) is None
    assert parse_vector_store("faiss") is None
    local = parse_vector_store(f"milvus:{tmp_path}/v.db")
    assert local is not None and local.embedded
    assert (local.uri, local.collection) == (f"{tmp_path}/v.db", DEFAULT_COLLECTION)
    remote = parse_vector_store("milvus:http://milvus:19530#archive_2")
    assert remote is not None and not remote.embedded
    assert (remote.uri, remote.collection) == ("http://milvus:19530", "archive_2")
    for bad in ("qdrant:x", "milvus:", "milvus:x.db#2x", "milvus:x.db#a-b"):
        with pytest.raises(LibraryError):
            parse_vector_store(bad)


def test_index_plan_follows_the_size() -> None:
    plans = {n: index_plan(choose_index_kind(n, 512)) for n in (10_000, 300_000, 5_000_000)}
    assert plans[10_000].index_type == "FLAT"
    ivf = plans[300_000]
    assert ivf.index_type == "IVF_FLAT" and ivf.search["nprobe"] == ivf.build["nlist"] // 16
    assert plans[5_000_000].index_type == "HNSW" and plans[5_000_000].search["ef"] >= 100


def unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_milvus_index_matches_exact(tmp_path) -> None:
    location = parse_vector_store(f"milvus:{tmp_path}/v.db#t")
    assert location is not None
    store = MilvusStore(location)
    index = store.train(16, choose_index_kind(0, 16), None)
    exact = ExactIndex(16)
    rng = np.random.default_rng(3)
    ids, vectors = np.arange(100, 400, dtype=np.int64), unit(rng, 300)
    index.add(ids, vectors)
    exact.add(ids, vectors)
    index.add(ids[:10], vectors[:10])  # idempotent: a second writer catching up
    assert index.remove(np.array([100, 101, 9999])) == 2
    exact.remove(np.array([100, 101]))
    queries = unit(rng, 5)
    got, want = index.search(queries, 7), exact.search(queries, 7)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[0], want[0], atol=1e-5)
    allowed = ids[50:60]
    got = index.search(queries, 20, allowed)
    assert set(got[1][got[1] >= 0].ravel()) <= set(allowed.tolist())
    assert (got[1][:, 10:] == -1).all()
    np.testing.assert_allclose(index.vectors_of(ids[5:8]), vectors[5:8], atol=1e-6)
    index.save(tmp_path, {"model": {"label": "x"}})
    again = store.open()
    assert again.ntotal == 298 and again.dim == 16
    np.testing.assert_array_equal(np.sort(again.ids()), np.sort(exact.ids()))
