"""FaissIndex: exact results (cross-checked with ExactIndex), filters, ties, atomic snapshots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.exact_index import ExactIndex
from vidseek.core.errors import IndexCorrupt
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.snapshot import INDEX_FILE, MANIFEST_FILE, ids_sha256
from vidseek.core.vector_index import VectorIndex

DIM = 32


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def both(n: int = 300, seed: int = 0) -> tuple[FaissIndex, ExactIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.permutation(10_000)[:n].astype(np.int64)
    vectors = unit(rng, n)
    f, e = FaissIndex(DIM), ExactIndex(DIM)
    f.add(ids, vectors)
    e.add(ids, vectors)
    return f, e, ids


def test_both_implement_the_protocol() -> None:
    assert isinstance(FaissIndex(DIM), VectorIndex)
    assert isinstance(ExactIndex(DIM), VectorIndex)


def test_search_equals_exact() -> None:
    f, e, _ = both()
    q = unit(np.random.default_rng(1), 7)
    fs, fi = f.search(q, 10)
    es, ei = e.search(q, 10)
    np.testing.assert_array_equal(fi, ei)
    np.testing.assert_allclose(fs, es, atol=1e-5)
    assert np.all(np.diff(fs, axis=1) <= 0)


def test_allowed_ids_filter() -> None:
    f, e, ids = both()
    allowed = np.concatenate([ids[::7], [999_999]])  # an unknown id is harmless
    q = unit(np.random.default_rng(2), 3)
    fs, fi = f.search(q, 12, allowed)
    _, ei = e.search(q, 12, allowed)
    np.testing.assert_array_equal(fi, ei)
    assert set(fi.ravel()) <= set(allowed)


def test_fewer_results_than_k_are_padded() -> None:
    f, _, ids = both(n=20)
    s, i = f.search(unit(np.random.default_rng(3), 2), 5, ids[:3])
    assert (i[:, :3] >= 0).all() and (i[:, 3:] == -1).all()
    assert np.isneginf(s[:, 3:]).all()
    s, i = f.search(unit(np.random.default_rng(3), 1), 5, np.array([], dtype=np.int64))
    assert (i == -1).all()
    assert FaissIndex(DIM).search(unit(np.random.default_rng(3), 1), 3)[1].tolist() == [[-1] * 3]


def test_remove() -> None:
    f, e, ids = both()
    gone = ids[:50]
    assert f.remove(gone) == 50
    e.remove(gone)
    assert f.ntotal == 250
    assert not set(gone) & set(f.ids())
    q = unit(np.random.default_rng(4), 5)
    fi = f.search(q, 300)[1]
    assert not set(gone) & set(fi.ravel())
    np.testing.assert_array_equal(fi, e.search(q, 300)[1])


def test_ties_broken_by_id_even_across_the_cut() -> None:
    rng = np.random.default_rng(5)
    v = unit(rng, 1)
    others = unit(rng, 100) * 0.5  # scores well below 1
    dup_ids = rng.permutation(np.arange(1000, 1060))  # 60 equal vectors, inserted shuffled
    f = FaissIndex(DIM)
    f.add(np.arange(100), others)
    f.add(dup_ids, np.repeat(v, 60, axis=0))
    for k in (1, 5, 30):
        _, i = f.search(np.repeat(v, 3, axis=0), k)
        assert i.tolist() == [list(range(1000, 1000 + k))] * 3
    e = ExactIndex(DIM)
    e.add(dup_ids, np.repeat(v, 60, axis=0))
    assert e.search(v, 4)[1].tolist() == [[1000, 1001, 1002, 1003]]


def test_save_load_round_trip(tmp_path) -> None:
    f, _, ids = both()
    manifest = f.save(tmp_path, {"model": {"label": "m:x", "identity": "{}"}})
    loaded, read = FaissIndex.load(tmp_path, expected={"dim": DIM})
    assert read == manifest == json.loads((tmp_path / MANIFEST_FILE).read_text())
    assert manifest["count"] == 300 and manifest["max_id"] == int(ids.max())
    assert manifest["ids_sha256"] == ids_sha256(ids[::-1])
    q = unit(np.random.default_rng(6), 4)
    np.testing.assert_array_equal(loaded.search(q, 10)[1], f.search(q, 10)[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([INDEX_FILE, MANIFEST_FILE])


@pytest.mark.parametrize("damage", ["flip", "truncate", "no_manifest", "no_index", "bad_json"])
def test_damaged_snapshot_is_refused(tmp_path, damage: str) -> None:
    f, _, _ = both(n=50)
    f.save(tmp_path, {})
    index, manifest = tmp_path / INDEX_FILE, tmp_path / MANIFEST_FILE
    data = bytearray(index.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        index.write_bytes(bytes(data))
    elif damage == "truncate":
        index.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "no_manifest":
        manifest.unlink()
    elif damage == "no_index":
        index.unlink()
    else:
        manifest.write_text("{not json")
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(tmp_path)


def test_unparsable_file_with_matching_checksum_is_refused(tmp_path) -> None:
    import hashlib

    f, _, _ = both(n=10)
    f.save(tmp_path, {})
    junk = b"not a faiss index at all"
    (tmp_path / INDEX_FILE).write_bytes(junk)
    m = json.loads((tmp_path / MANIFEST_FILE).read_text())
    m["file_sha256"] = hashlib.sha256(junk).hexdigest()
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(m))
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(tmp_path)


def test_expected_fields_are_checked(tmp_path) -> None:
    f, _, _ = both(n=10)
    f.save(tmp_path, {"model": "a"})
    with pytest.raises(IndexCorrupt, match="model"):
        FaissIndex.load(tmp_path, expected={"model": "b"})
