"""Library: commit/search round trips, model binding, and reconciling the index on open."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.exact_index import ExactIndex
from vidseek.core.errors import LibraryError, ModelMismatch, VideoNotFound
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.library import Library
from vidseek.core.snapshot import INDEX_FILE, MANIFEST_FILE
from vidseek.core.types import ModelIdentity, PooledSegment, VideoCommit, VideoInfo

DIM = 16
MODEL = ModelIdentity("test-net", "random", DIM, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def make_commit(path: str, seed: int, n_segments: int = 5) -> VideoCommit:
    rng = np.random.default_rng(seed)
    frames, segs = unit(rng, 2 * n_segments), unit(rng, n_segments)
    return VideoCommit(
        path=path,
        content_hash=f"hash-{seed}",
        size=100 + seed,
        mtime=float(seed),
        info=VideoInfo(duration=2.0 * n_segments, fps=30.0, width=64, height=64, backend="pyav"),
        frame_times=np.arange(2 * n_segments, dtype=np.float64),
        frame_vectors=frames,
        segments=[
            PooledSegment(start=2.0 * i, end=2.0 * i + 2, vector=segs[i], n_frames=2)
            for i in range(n_segments)
        ],
        video_vector=unit(rng, 1)[0],
    )


class Notes(list):
    def __call__(self, message: str) -> None:
        self.append(message)


def fill(home: Path, n_videos: int = 6, notify: Notes | None = None) -> Library:
    lib = Library.open(home, notify=notify)
    lib.bind_model(MODEL)
    for v in range(n_videos):
        lib.commit_video(make_commit(f"/videos/{v}.mp4", seed=v))
    return lib


def exact_of(lib: Library) -> ExactIndex:
    exact = ExactIndex(DIM)
    for v in lib.videos(status="indexed"):
        c = make_commit(v.path, seed=int(v.content_hash.split("-")[1]))
        exact.add([s.id for s in lib.segments(v.id)], np.stack([s.vector for s in c.segments]))
    return exact


def hit_ids(hits: list[list]) -> list[list[int]]:
    return [[h.segment_id for h in row] for row in hits]


QUERIES = unit(np.random.default_rng(99), 4)


def test_commit_and_search_match_exact(tmp_path) -> None:
    lib = fill(tmp_path)
    hits = lib.search_vectors(QUERIES, 8)
    scores, ids = exact_of(lib).search(QUERIES, 8)
    assert hit_ids(hits) == ids.tolist()
    for row, srow in zip(hits, scores, strict=True):
        np.testing.assert_allclose([h.score for h in row], srow, atol=1e-5)
        for h in row:
            seg = next(s for s in lib.segments(h.video_id) if s.id == h.segment_id)
            assert (h.start, h.end) == (seg.start, seg.end)
    h = hits[0][0]
    assert lib.segment(h.segment_id).video_id == h.video_id and lib.segment(10**9) is None
    assert lib.stats_segments() == 30
    st = lib.stats()
    assert (st.videos, st.failed, st.segments, st.frames) == (6, 0, 30, 60)
    assert st.model == MODEL and st.index_bytes > 0 and st.catalog_bytes > 0
    lib.close()


def test_filter_by_video_ids(tmp_path) -> None:
    lib = fill(tmp_path)
    wanted = [v.id for v in lib.videos()[1:3]]
    allowed = lib.segment_ids_for_videos(wanted)
    assert len(allowed) == 10
    hits = lib.search_vectors(QUERIES, 20, video_ids=wanted)
    assert all(len(row) == 10 and {h.video_id for h in row} <= set(wanted) for row in hits)
    exact_ids = exact_of(lib).search(QUERIES, 20, allowed)[1]
    assert hit_ids(hits) == [[i for i in row if i >= 0] for row in exact_ids.tolist()]
    assert lib.search_vectors(QUERIES, 5, video_ids=[]) == [[]] * 4
    lib.close()


def test_remove_video(tmp_path) -> None:
    lib = fill(tmp_path)
    victim = lib.videos()[0]
    lib.remove_video(victim.id)
    assert lib.stats().segments == 25
    assert all(h.video_id != victim.id for row in lib.search_vectors(QUERIES, 30) for h in row)
    with pytest.raises(VideoNotFound):
        lib.remove_video(victim.id)
    with pytest.raises(VideoNotFound):
        lib.video(victim.id)
    lib.close()
    notes = Notes()
    with Library.open(tmp_path, notify=notes) as again:
        assert notes == []  # the saved snapshot agrees with the catalog
        assert sum(len(r) for r in again.search_vectors(QUERIES, 100)) == 4 * 25


def test_recommit_same_path_replaces(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=2)
    old = lib.find_video_by_path("/videos/0.mp4")
    old_ids = {s.id for s in lib.segments(old.id)}
    new = lib.commit_video(make_commit("/videos/0.mp4", seed=50, n_segments=3))
    assert lib.count_videos() == 2 and lib.find_video_by_hash(old.content_hash) is None
    assert lib.find_video_by_path("/videos/0.mp4") == new
    found = {h.segment_id for row in lib.search_vectors(QUERIES, 100) for h in row}
    assert not found & old_ids and len(found) == 8
    lib.close()


def test_failure_replaces_a_good_record_of_the_same_path_only(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=2)
    lib.record_failure("/videos/0.mp4", "hash-x", 1, "moov atom not found")
    lib.record_failure("/videos/broken.mp4", "hash-y", 1, "no video stream")
    assert lib.count_videos("failed") == 2 and lib.count_videos("indexed") == 1
    assert sum(len(r) for r in lib.search_vectors(QUERIES, 100)) == 4 * 5
    lib.close()


def test_model_binding(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=1)
    lib.bind_model(MODEL)  # same identity: fine
    other = ModelIdentity("ViT-B-32", "openai", DIM, 224, MODEL.mean, MODEL.std)
    with pytest.raises(ModelMismatch) as err:
        lib.bind_model(other)
    msg = str(err.value)
    assert "name: 'test-net' != 'ViT-B-32'" in msg and "image_size" in msg
    assert "--" not in msg  # core messages name no flags: each front end adds its hint
    exc = err.value
    assert (exc.library_model, exc.requested_model) == ("test-net:random", "ViT-B-32:openai")
    assert exc.library == str(tmp_path) and len(exc.differences) == 3
    lib.close()
    with Library.open(tmp_path) as again:
        assert again.model == MODEL


def test_commit_requires_a_model(tmp_path) -> None:
    with Library.open(tmp_path) as lib, pytest.raises(LibraryError, match="bind_model"):
        lib.commit_video(make_commit("/v.mp4", seed=1))


@pytest.mark.parametrize(
    ("damage", "word"),
    [
        ("delete", "missing"),
        ("flip", "corrupt"),
        ("truncate", "corrupt"),
        ("stale_count", "stale"),
    ],
)
def test_damaged_index_is_rebuilt(tmp_path, damage: str, word: str) -> None:
    lib = fill(tmp_path)
    before = lib.search_vectors(QUERIES, 10)
    lib.close()
    index = tmp_path / "index" / INDEX_FILE
    data = bytearray(index.read_bytes())
    if damage == "delete":
        index.unlink()
    elif damage == "flip":
        data[len(data) // 2] ^= 0x55
        index.write_bytes(bytes(data))
    elif damage == "truncate":
        index.write_bytes(bytes(data[:100]))
    else:  # a valid snapshot that lacks one segment the catalog has
        snap, m = FaissIndex.load(index.parent)
        snap.remove(snap.ids()[:1])
        snap.save(index.parent, {"model": m["model"]})
    notes = Notes()
    with Library.open(tmp_path, notify=notes) as lib:
        assert lib.videos() and notes == []  # catalog reads leave the index unloaded
        assert lib.search_vectors(QUERIES, 10) == before
        assert len(notes) == 1 and notes[0].startswith(f"the vector index is {word}"), notes
        assert "rebuilt from the catalog (30 segments)" in notes[0]
    notes.clear()
    with Library.open(tmp_path, notify=notes) as lib:
        lib.load_index()
        assert notes == []  # the rebuilt snapshot was saved


def test_crash_between_catalog_commit_and_snapshot(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=3)
    saved = tmp_path / "saved-index"
    shutil.copytree(tmp_path / "index", saved)
    lib.commit_video(make_commit("/videos/new.mp4", seed=7))
    lib.remove_video(lib.videos()[0].id)
    after = lib.search_vectors(QUERIES, 12)
    lib.close()
    # "Crash": the catalog rows are committed but the snapshot on disk is the old one.
    shutil.rmtree(tmp_path / "index")
    shutil.copytree(saved, tmp_path / "index")
    notes = Notes()
    with Library.open(tmp_path, notify=notes) as lib:
        assert lib.search_vectors(QUERIES, 12) == after
        assert len(notes) == 1 and "stale" in notes[0]


def test_ties_are_deterministic(tmp_path) -> None:
    lib = Library.open(tmp_path)
    lib.bind_model(MODEL)
    v = unit(np.random.default_rng(3), 1)[0]
    for i in range(4):  # every segment of every video has the same vector
        c = make_commit(f"/dup/{i}.mp4", seed=i, n_segments=4)
        c.segments = [PooledSegment(s.start, s.end, v, s.n_frames) for s in c.segments]
        lib.commit_video(c)
    all_ids = sorted(lib.segment_ids_for_videos([x.id for x in lib.videos()]).tolist())
    for k in (1, 3, 10):
        rows = lib.search_vectors(np.stack([v, v]), k)
        assert hit_ids(rows) == [all_ids[:k]] * 2
    lib.close()


def test_read_only_open_does_not_write(tmp_path) -> None:
    with pytest.raises(LibraryError):
        Library.open(tmp_path / "nothing", read_only=True)
    assert not (tmp_path / "nothing").exists()
    fill(tmp_path, n_videos=2).close()
    (tmp_path / "index" / INDEX_FILE).unlink()
    snapshot = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    notes = Notes()
    with Library.open(tmp_path, read_only=True, notify=notes) as lib:
        assert sum(len(r) for r in lib.search_vectors(QUERIES, 100)) == 4 * 10
        assert "missing" in notes[0]  # rebuilt in memory only
        with pytest.raises(LibraryError, match="read-only"):
            lib.commit_video(make_commit("/videos/x.mp4", seed=9))
        with pytest.raises(LibraryError, match="read-only"):
            lib.remove_video(1)
    files = {
        p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(("-shm", "-wal"))
    }
    assert files == set(snapshot)
    assert all(p.read_bytes() == snapshot[p] for p in files)


def test_refresh_picks_up_another_writer(tmp_path) -> None:
    writer = fill(tmp_path, n_videos=1)
    reader = Library.open(tmp_path, read_only=True)
    assert reader.refresh() is False  # nothing loaded yet: the first search loads
    reader.load_index()
    assert reader.refresh() is False
    writer.commit_video(make_commit("/videos/late.mp4", seed=20))
    assert sum(len(r) for r in reader.search_vectors(QUERIES, 100)) == 4 * 5
    assert reader.refresh() is True
    assert reader.search_vectors(QUERIES, 100) == writer.search_vectors(QUERIES, 100)
    reader.close()
    writer.close()


def test_batch_defers_saves_and_saves_on_exit(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=1)
    manifest = tmp_path / "index" / MANIFEST_FILE
    before = manifest.read_bytes()
    with lib.batch():
        lib.commit_video(make_commit("/videos/b1.mp4", seed=31))
        lib.commit_video(make_commit("/videos/b2.mp4", seed=32))
        assert manifest.read_bytes() == before
    assert json.loads(manifest.read_text())["count"] == 15
    lib.close()


def test_frames_and_video_vectors(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=2)
    rec = lib.find_video_by_path("/videos/1.mp4")
    c = make_commit("/videos/1.mp4", seed=1)
    times, vecs = lib.frames(rec.id)
    np.testing.assert_array_equal(times, c.frame_times)
    np.testing.assert_array_equal(vecs, c.frame_vectors)
    ids, vv = lib.video_vectors()
    assert ids.dtype == np.int64 and vv.dtype == np.float32 and vv.shape == (2, DIM)
    np.testing.assert_array_equal(vv[list(ids).index(rec.id)], c.video_vector)
    lib.close()
