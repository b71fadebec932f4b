"""A library whose vectors live in Milvus (milvus-lite, a local file): the same answers as
FAISS, deletes and re-indexing stay consistent, the collection is rebuilt from the catalog when
missing or wrong, and ``check`` verifies it as it does a FAISS snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import skip_or_fail_in_ci
from tests.test_library import MODEL, QUERIES, Notes, exact_of, hit_ids, make_commit

try:
    import milvus_lite  # noqa: F401
    import pymilvus  # noqa: F401
except ImportError:
    skip_or_fail_in_ci("pymilvus and milvus-lite are not installed (the milvus extra)")

from vidseek.core.check import check_library, repair_library  # noqa: E402
from vidseek.core.library import Library  # noqa: E402
from vidseek.core.milvus_index import client_for  # noqa: E402
from vidseek.core.vector_store import parse_vector_store  # noqa: E402


def store(tmp_path: Path, name: str = "segs") -> str:
    return f"milvus:{tmp_path / 'vectors.db'}#{name}"


def open_lib(home: Path, spec: str, notes: Notes | None = None) -> Library:
    return Library.open(home, vector_store=spec, notify=notes)


def fill(lib: Library, n_videos: int = 6) -> Library:
    lib.bind_model(MODEL)
    for v in range(n_videos):
        lib.commit_video(make_commit(f"/videos/{v}.mp4", seed=v))
    return lib


def client(spec: str):
    location = parse_vector_store(spec)
    assert location is not None
    return client_for(location), location.collection


def test_same_hits_as_faiss_and_exact(tmp_path) -> None:
    spec = store(tmp_path)
    with fill(open_lib(tmp_path / "m", spec)) as milvus, fill(Library.open(tmp_path / "f")) as ff:
        got = milvus.search_vectors(QUERIES, 8)
        assert hit_ids(got) == hit_ids(ff.search_vectors(QUERIES, 8))
        scores, ids = exact_of(milvus).search(QUERIES, 8)
        assert hit_ids(got) == ids.tolist()
        np.testing.assert_allclose([[h.score for h in r] for r in got], scores, atol=1e-5)
        some = [v.id for v in milvus.videos()][:2]
        filtered = milvus.search_vectors(QUERIES, 5, video_ids=some)
        assert all(h.video_id in some for row in filtered for h in row)
        assert hit_ids(filtered) == hit_ids(ff.search_vectors(QUERIES, 5, video_ids=some))


def test_delete_and_reindex_reach_the_collection(tmp_path) -> None:
    spec = store(tmp_path)
    with fill(open_lib(tmp_path, spec)) as lib:
        gone = lib.videos()[0]
        gone_ids = {s.id for s in lib.segments(gone.id)}
        lib.remove_video(gone.id)
        lib.commit_video(make_commit("/videos/1.mp4", seed=41))  # re-indexed: new vectors
        c, name = client(spec)
        held = {r["id"] for r in c.query(name, filter="id >= 0", output_fields=["id"])}
        assert held == set(lib.catalog.segment_table().ids.tolist())
        assert not held & gone_ids
        hits = lib.search_vectors(QUERIES, 50)
        assert not {h.segment_id for row in hits for h in row} & gone_ids
        assert (
            hit_ids(lib.search_vectors(QUERIES, 8)) == exact_of(lib).search(QUERIES, 8)[1].tolist()
        )


def test_reopen_uses_the_collection_and_check_is_clean(tmp_path) -> None:
    spec = store(tmp_path)
    fill(open_lib(tmp_path, spec)).close()
    notes = Notes()
    with open_lib(tmp_path, spec, notes) as lib:
        assert lib.search_vectors(QUERIES, 3)[0]
        assert notes == []  # verified, not rebuilt
        report = check_library(lib, files=False)
        assert report.clean, report.problems
        assert report.counts["index"] == report.counts["segments"] == 30
        assert report.counts["vectors_compared"] == 30


@pytest.mark.parametrize("damage", ["drop", "extra", "missing"])
def test_a_wrong_collection_is_reported_and_rebuilt(tmp_path, damage: str) -> None:
    spec = store(tmp_path)
    fill(open_lib(tmp_path, spec)).close()
    c, name = client(spec)
    if damage == "drop":
        physical = c.describe_alias(name)["collection_name"]
        c.drop_alias(name)
        c.drop_collection(physical)
    elif damage == "extra":
        c.upsert(name, [{"id": 10_000, "vector": np.ones(MODEL.dim, dtype=np.float32)}])
    else:
        c.delete(name, ids=[1, 2])
    with open_lib(tmp_path, spec) as lib:
        report = check_library(lib, files=False)
        assert [p.kind for p in report.problems] == ["snapshot"]
        expected = "missing" if damage == "drop" else "stale"
        assert expected in report.problems[0].detail
        repair_library(lib, report)
        assert check_library(lib, files=False).clean
    notes = Notes()
    with open_lib(tmp_path, spec, notes) as lib:
        lib.load_index()
        assert notes == []


def test_a_faiss_library_moves_to_milvus_through_a_rebuild(tmp_path) -> None:
    with fill(Library.open(tmp_path)) as ff:
        want = hit_ids(ff.search_vectors(QUERIES, 8))
    notes = Notes()
    with open_lib(tmp_path, store(tmp_path), notes) as lib:
        assert hit_ids(lib.search_vectors(QUERIES, 8)) == want
        assert any("missing" in n and "rebuilt" in n for n in notes)
        assert check_library(lib, files=False).clean


def test_a_rebuild_fills_a_new_collection_and_moves_the_alias(tmp_path) -> None:
    spec = store(tmp_path)
    with fill(open_lib(tmp_path, spec)) as lib:
        c, name = client(spec)
        before = c.describe_alias(name)["collection_name"]
        want = hit_ids(lib.search_vectors(QUERIES, 8))
        lib.rebuild_index()
        after = c.describe_alias(name)["collection_name"]
        assert after != before
        assert [n for n in c.list_collections() if n.startswith(name)] == [after]
        assert hit_ids(lib.search_vectors(QUERIES, 8)) == want


def test_a_read_only_library_rebuilds_privately_and_drops_it_on_close(tmp_path) -> None:
    with fill(Library.open(tmp_path)) as ff:
        want = hit_ids(ff.search_vectors(QUERIES, 8))
    spec = store(tmp_path)
    with Library.open(tmp_path, vector_store=spec, read_only=True, notify=Notes()) as lib:
        assert hit_ids(lib.search_vectors(QUERIES, 8)) == want
    c, name = client(spec)
    assert [n for n in c.list_collections() if n.startswith(name)] == []
