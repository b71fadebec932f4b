"""Catalog: migrations, SQLite pragmas, vector storage, replace/delete semantics."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Connection, inspect, text

from vidseek.core.catalog import SCHEMA_VERSION, Catalog
from vidseek.core.catalog import migrations as mig
from vidseek.core.catalog.schema import Base
from vidseek.core.errors import CatalogError, VideoNotFound
from vidseek.core.types import PooledSegment, VideoCommit, VideoInfo

DIM = 8


def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'catalog.sqlite'}"


def commit(path: str, n_frames: int = 4, n_segments: int = 2, seed: int = 0) -> VideoCommit:
    rng = np.random.default_rng(seed)
    vec = rng.standard_normal((n_frames + n_segments + 1, DIM)).astype(np.float32)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    return VideoCommit(
        path=path,
        content_hash=f"h-{path}-{seed}",
        size=1000,
        mtime=1.5,
        info=VideoInfo(duration=8.0, fps=25.0, width=64, height=48, codec="h264", backend="pyav"),
        frame_times=np.arange(n_frames, dtype=np.float64),
        frame_vectors=vec[:n_frames],
        segments=[
            PooledSegment(start=2.0 * i, end=2.0 * i + 2, vector=vec[n_frames + i], n_frames=2)
            for i in range(n_segments)
        ],
        video_vector=vec[-1],
    )


def test_fresh_catalog_is_migrated(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    assert cat.schema_version() == SCHEMA_VERSION
    assert cat.get_meta("created_at")
    assert set(inspect(cat.engine).get_table_names()) >= {"meta", "videos", "frames", "segments"}
    cat.close()
    cat = Catalog.open(url(tmp_path))  # reopening does not re-run migration 1
    assert cat.schema_version() == SCHEMA_VERSION
    cat.close()


def test_models_match_the_migrated_schema(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    insp = inspect(cat.engine)
    for table in Base.metadata.sorted_tables:
        migrated = {c["name"] for c in insp.get_columns(table.name)}
        assert migrated == set(table.columns.keys()), table.name
    cat.close()


def test_newer_schema_is_refused(tmp_path) -> None:
    Catalog.open(url(tmp_path)).set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(CatalogError, match="upgrade vidseek"):
        Catalog.open(url(tmp_path))
    with pytest.raises(CatalogError, match="upgrade vidseek"):
        Catalog.open(url(tmp_path), read_only=True)


def test_failed_migration_rolls_back(tmp_path, monkeypatch) -> None:
    Catalog.open(url(tmp_path)).close()

    def broken(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("boom")

    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, broken])
    monkeypatch.setattr(mig, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError):
        Catalog.open(url(tmp_path))
    monkeypatch.undo()
    cat = Catalog.open(url(tmp_path))
    assert cat.schema_version() == SCHEMA_VERSION
    assert "half_done" not in inspect(cat.engine).get_table_names()
    cat.close()


def test_read_only_requires_a_catalog(tmp_path) -> None:
    with pytest.raises(CatalogError):
        Catalog.open(url(tmp_path), read_only=True)


def test_sqlite_pragmas(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    with cat.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    cat.close()


def test_vectors_round_trip_and_replace(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    c = commit("/v/a.mp4")
    rec, removed, seg_ids = cat.replace_video(c, DIM)
    assert rec.status == "indexed" and rec.n_frames == 4 and rec.n_segments == 2
    assert len(removed) == 0 and len(seg_ids) == 2
    times, vectors = cat.frames(rec.id, DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(times, c.frame_times)
    np.testing.assert_array_equal(vectors, c.frame_vectors)
    ids, vv = cat.video_vectors(DIM)
    assert ids.tolist() == [rec.id]
    np.testing.assert_array_equal(vv[0], c.video_vector)
    got = np.concatenate([v for _, v in cat.segment_vectors(DIM, batch=1)])
    np.testing.assert_array_equal(got, np.stack([s.vector for s in c.segments]))

    rec2, removed2, seg_ids2 = cat.replace_video(commit("/v/a.mp4", n_segments=3, seed=1), DIM)
    assert rec2.id != rec.id
    assert removed2.tolist() == seg_ids.tolist()
    assert min(seg_ids2) > max(seg_ids)  # ids are never reused
    assert cat.count_videos() == 1 and cat.count_frames() == 4 and cat.count_segments() == 3
    with pytest.raises(VideoNotFound):
        cat.video(rec.id)
    cat.close()


def test_failure_upsert_and_delete(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    good, _, _ = cat.replace_video(commit("/v/good.mp4"), DIM)
    failed, removed = cat.upsert_failure("/v/bad.mp4", "hb", 10, "no video stream")
    assert failed.status == "failed" and failed.error == "no video stream" and len(removed) == 0
    again, _ = cat.upsert_failure("/v/bad.mp4", "hb2", 11, "still broken")
    assert cat.count_videos("failed") == 1 and again.error == "still broken"
    assert cat.find_by_hash("hb2") is None  # only indexed videos count as known
    assert cat.find_by_hash(good.content_hash) == good
    assert [v.path for v in cat.videos()] == ["/v/good.mp4", "/v/bad.mp4"]
    assert cat.videos(limit=1, offset=1)[0].path == "/v/bad.mp4"
    seg_ids = [s.id for s in cat.segments(good.id)]
    assert len(seg_ids) == 2
    assert cat.delete_video(good.id).tolist() == seg_ids
    assert cat.count_frames() == 0 and cat.count_segments() == 0
    with pytest.raises(VideoNotFound):
        cat.delete_video(good.id)
    cat.close()


def test_bad_commit_shapes_are_rejected(tmp_path) -> None:
    cat = Catalog.open(url(tmp_path))
    c = commit("/v/x.mp4")
    c.frame_vectors = c.frame_vectors[:, :4]
    with pytest.raises(ValueError):
        cat.replace_video(c, DIM)
    assert cat.count_videos() == 0
    cat.close()
