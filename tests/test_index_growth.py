"""The Library picks the index kind from its size and rebuilds it as it grows (small thresholds
so the tests stay small), inline, in the background, and safely across a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from tests.exact_index import ExactIndex
from tests.test_library import MODEL, QUERIES, hit_ids, make_commit
from vidseek.core import index_kinds
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.library import Library
from vidseek.core.snapshot import read_manifest

ROOT = Path(__file__).resolve().parents[1]
SEGMENTS = 60  # per video


@pytest.fixture(autouse=True)
def small_bands(monkeypatch):
    """flat below 100 vectors, ivf below 250, ivfpq beyond, probing every list (so results are
    exact on this random data); one OpenMP thread (tiny data)."""
    monkeypatch.setattr(index_kinds, "FLAT_MAX", 100)
    monkeypatch.setattr(index_kinds, "IVF_MAX", 250)
    monkeypatch.setattr(index_kinds, "NPROBE_PQ", 64)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def commit(lib: Library, first: int, count: int) -> None:
    for v in range(first, first + count):
        lib.commit_video(make_commit(f"/videos/{v}.mp4", seed=v, n_segments=SEGMENTS))


def exact_of(lib: Library) -> ExactIndex:
    """Exact search over the catalog's vectors (float16-rounded, as ivfpq re-ranks them)."""
    exact = ExactIndex(MODEL.dim)
    for ids, vectors in lib.catalog.segment_vectors(MODEL.dim):
        exact.add(ids, vectors.astype(np.float16).astype(np.float32))
    return exact


def kind_on_disk(home: Path) -> str:
    return read_manifest(home / "index")["index"]["kind"]


def test_kind_follows_the_size_of_the_library(tmp_path) -> None:
    notes: list[str] = []
    lib = Library.open(tmp_path, notify=notes.append)
    lib.bind_model(MODEL)
    commit(lib, 0, 1)
    assert kind_on_disk(tmp_path) == "flat"
    commit(lib, 1, 1)  # 120 vectors: ivf
    assert kind_on_disk(tmp_path) == "ivf" and lib._index.trained_n == 120
    commit(lib, 2, 3)  # 300: ivfpq
    assert kind_on_disk(tmp_path) == "ivfpq" and any("outgrew" in n for n in notes)
    # every list probed, 20 x k candidates re-ranked: exact order on this small library
    assert hit_ids(lib.search_vectors(QUERIES, 5)) == exact_of(lib).search(QUERIES, 5)[1].tolist()
    lib.remove_video(lib.videos()[0].id)
    lib.close()
    again = Library.open(tmp_path, notify=notes.append, read_only=True)
    again.load_index()
    assert again._index.spec.kind == "ivfpq" and again._index.mapped
    assert (
        hit_ids(again.search_vectors(QUERIES, 5)) == exact_of(again).search(QUERIES, 5)[1].tolist()
    )
    again.close()


def test_rebuild_picks_the_kind_from_size_and_budget(tmp_path, monkeypatch) -> None:
    lib = Library.open(tmp_path)
    lib.bind_model(MODEL)
    with lib.batch():  # no saves, so no growth checks: the flat index just fills up
        commit(lib, 0, 5)
    lib.close()
    (tmp_path / "index" / "manifest.json").unlink()
    monkeypatch.setattr(index_kinds, "IVF_MAX", 10**6)
    with Library.open(tmp_path) as lib:
        lib.load_index()
    assert kind_on_disk(tmp_path) == "ivf"
    (tmp_path / "index" / "manifest.json").unlink()
    with Library.open(tmp_path, memory_budget=1000) as lib:  # float vectors do not fit 1000 B
        lib.load_index()
    assert kind_on_disk(tmp_path) == "ivfpq"


def test_an_ivf_index_grown_four_times_its_training_size_is_retrained(tmp_path, monkeypatch):
    monkeypatch.setattr(index_kinds, "IVF_MAX", 10**6)
    lib = Library.open(tmp_path)
    lib.bind_model(MODEL)
    commit(lib, 0, 2)
    assert lib._index.spec.kind == "ivf" and lib._index.trained_n == 120
    commit(lib, 2, 6)  # 480 = 4 x 120: still fits
    assert lib._index.trained_n == 120
    commit(lib, 8, 1)  # 540 > 4 x 120: retrained
    assert lib._index.trained_n == 540 and read_manifest(tmp_path / "index")["trained_n"] == 540
    lib.close()


def test_background_rebuild_swaps_in_without_losing_commits(tmp_path, monkeypatch) -> None:
    notes: list[str] = []
    lib = Library.open(tmp_path, notify=notes.append, rebuild_in_background=True)
    lib.bind_model(MODEL)
    started = []
    build = Library._build_index

    def slow_build(self, dim, ids, abortable=False):
        assert abortable  # close() may stop a background rebuild
        started.append(len(ids))
        if len(started) == 1:  # a commit lands while the first rebuild runs
            commit(lib, 5, 1)
        return build(self, dim, ids, abortable)

    monkeypatch.setattr(Library, "_build_index", slow_build)
    commit(lib, 0, 1)
    assert lib._index.spec.kind == "flat"
    commit(lib, 1, 4)  # 300 vectors: outgrown; the save goes on with the flat index
    while lib._grower.is_alive():  # the grower may hand over to one started by a later save
        lib._grower.join(timeout=60)
    assert lib._index.spec.kind == "ivfpq" and kind_on_disk(tmp_path) == "ivfpq"
    assert lib._index.ntotal == 6 * SEGMENTS and any("background" in n for n in notes)
    assert hit_ids(lib.search_vectors(QUERIES, 5)) == exact_of(lib).search(QUERIES, 5)[1].tolist()
    lib.close()
    reopened, _ = FaissIndex.load(tmp_path / "index")
    assert reopened.ntotal == 6 * SEGMENTS


CRASH = """
import sys
from vidseek.core import index_kinds
from vidseek.core.library import Library
from tests.test_library import MODEL, make_commit
index_kinds.FLAT_MAX, index_kinds.IVF_MAX, index_kinds.NPROBE_PQ = 100, 250, 64
lib = Library.open(sys.argv[1])
lib.bind_model(MODEL)
for v in range(5):
    lib.commit_video(make_commit(f"/videos/{v}.mp4", seed=v, n_segments=60))
"""


@pytest.mark.parametrize("fault", ["rerank-rename:1", "snapshot-rename:6", "manifest-rename:6"])
def test_crash_while_growing_into_ivfpq_leaves_a_consistent_library(tmp_path, fault) -> None:
    env = {**os.environ, "VIDSEEK_FAULT": fault, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path)], cwd=ROOT, env=env, timeout=120
    )
    assert proc.returncode == -9  # killed at the fault point, mid-save of the grown index
    assert not list((tmp_path / "index").glob("rerank-*")) or fault != "rerank-rename:1"
    notes: list[str] = []
    lib = Library.open(tmp_path, notify=notes.append)
    lib.load_index()
    assert lib._index.ntotal == len(lib.catalog.segment_table().ids)
    assert hit_ids(lib.search_vectors(QUERIES, 5)) == exact_of(lib).search(QUERIES, 5)[1].tolist()
    commit(lib, 10, 1)
    assert kind_on_disk(tmp_path) == "ivfpq"
    assert not list((tmp_path / "index").glob(".*.tmp"))
    lib.close()
    np.testing.assert_array_equal(
        np.sort(FaissIndex.load(tmp_path / "index")[0].ids()), lib.catalog.segment_table().ids
    )


@pytest.mark.parametrize("read_only", [False, True])
def test_damaged_rerank_chunk_makes_the_library_rebuild(tmp_path, read_only: bool) -> None:
    lib = Library.open(tmp_path)
    lib.bind_model(MODEL)
    commit(lib, 0, 5)
    lib.close()
    chunk = next((tmp_path / "index").glob("rerank-*"))
    damaged = chunk.read_bytes()[:-10]
    chunk.write_bytes(damaged)
    notes: list[str] = []
    lib = Library.open(tmp_path, notify=notes.append, read_only=read_only)
    lib.load_index()
    assert any("corrupt" in n and "rebuilt" in n for n in notes)
    assert lib._index.spec.kind == "ivfpq"
    want = exact_of(lib).search(QUERIES, 5)[1].tolist()
    assert hit_ids(lib.search_vectors(QUERIES, 5)) == want
    ids = lib.catalog.segment_table().ids
    lib.close()
    if read_only:  # rebuilt in memory only: the files are left as they were
        assert chunk.read_bytes() == damaged
    else:  # the rebuilt index was saved, and it loads whole
        loaded, _ = FaissIndex.load(tmp_path / "index")
        assert kind_on_disk(tmp_path) == "ivfpq"
        np.testing.assert_array_equal(np.sort(loaded.ids()), np.sort(ids))
        assert loaded.search(QUERIES, 5)[1].tolist() == want


def test_close_finishes_an_inline_rebuild_that_its_last_save_needs(tmp_path) -> None:
    lib = Library.open(tmp_path)
    lib.bind_model(MODEL)
    with lib.batch():  # saves deferred: close() does the last one, and it must grow the index
        commit(lib, 0, 5)
        lib.close()
    assert kind_on_disk(tmp_path) == "ivfpq"
    with Library.open(tmp_path, read_only=True) as again:
        again.load_index()
        assert again._index.ntotal == 5 * SEGMENTS
