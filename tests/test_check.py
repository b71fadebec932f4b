"""`vidseek check`: finds what is wrong between catalog, vector snapshot and files on disk;
`--repair` fixes what the catalog can fix and says what it did."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from vidseek.cli.commands_check import check_command
from vidseek.cli.context import AppContext
from vidseek.core import index_kinds
from vidseek.core.check import check_library
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.library import Library
from vidseek.core.snapshot import INDEX_FILE, read_manifest
from vidseek.core.types import ModelIdentity, PooledSegment, VideoCommit, VideoInfo

DIM = 8
MODEL = ModelIdentity("test-net", "random", DIM, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def commit(path: Path, seed: int) -> VideoCommit:
    path.write_bytes(bytes(100 + seed))
    rng = np.random.default_rng(seed)
    segs = unit(rng, 3)
    return VideoCommit(
        path=str(path),
        content_hash=f"hash-{seed}",
        size=100 + seed,
        mtime=path.stat().st_mtime,
        info=VideoInfo(6.0, 30.0, 64, 64, backend="pyav"),
        frame_times=np.arange(3, dtype=np.float64),
        frame_vectors=unit(rng, 3),
        segments=[PooledSegment(2.0 * i, 2.0 * i + 2, segs[i], 1) for i in range(3)],
        video_vector=unit(rng, 1)[0],
    )


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "lib"
    with Library.open(home) as lib:
        lib.bind_model(MODEL)
        for i in range(4):
            lib.commit_video(commit(tmp_path / f"v{i}.mp4", i))
        lib.record_failure(str(tmp_path / "bad.mp4"), "hash-bad", 3, "not a video")
    (tmp_path / "bad.mp4").write_bytes(b"bad")
    return home


def check(home: Path, *args: str) -> tuple[int, dict]:
    group = click.Group(commands={"check": check_command})
    result = CliRunner().invoke(group, ["check", "--json", *args], obj=AppContext(home=home))
    return result.exit_code, json.loads(result.output)


def kinds(report: dict) -> list[str]:
    return [p["kind"] for p in report["problems"]]


def test_clean_library(home):
    code, report = check(home)
    assert code == 0 and report["clean"] and report["problems"] == []
    assert report["counts"] == {
        "videos": 4, "failed": 1, "segments": 12, "index": 12, "vectors_compared": 12,
        "files_missing": 0, "files_changed": 0,
    }  # fmt: skip
    assert report["failed"] == [{"path": str(home.parent / "bad.mp4"), "reason": "not a video"}]
    assert check(home, "--sample", "5")[1]["counts"]["vectors_compared"] == 5


def test_human_output(home):
    group = click.Group(commands={"check": check_command})
    result = CliRunner().invoke(group, ["check"], obj=AppContext(home=home))
    assert result.exit_code == 0
    assert "4 videos, 1 failed, 12 segments; index 12, 12 vectors compared" in result.output
    assert result.output.rstrip().endswith("clean")


def test_missing_snapshot_is_rebuilt_by_repair(home):
    (home / "index" / INDEX_FILE).unlink()
    (home / "index" / ".segments.faiss.abc.tmp").write_bytes(b"half")
    code, report = check(home)
    assert code == 1 and kinds(report) == ["snapshot", "temp-file"]
    assert all(p["fixable"] for p in report["problems"])
    code, report = check(home, "--repair")
    assert code == 0 and report["clean"], report
    assert any("rebuilt from the catalog (12 segments)" in line for line in report["repaired"])
    assert "removed left-over temp file .segments.faiss.abc.tmp" in report["repaired"]
    code, report = check(home)  # a check after the repair finds nothing
    assert code == 0 and report["clean"] and report["problems"] == [], report
    assert report["counts"]["index"] == report["counts"]["segments"] == 12


def test_corrupt_snapshot_checksum(home):
    path = home / "index" / INDEX_FILE
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    code, report = check(home)
    assert code == 1 and report["problems"][0]["detail"] == (
        "the vector index is corrupt: segments.faiss checksum does not match the manifest"
    )
    assert check(home, "--repair")[0] == 0


def _resave(home: Path, change) -> None:
    """Rewrite the snapshot with a self-consistent manifest after ``change(index)``."""
    index, manifest = FaissIndex.load(home / "index")
    change(index)
    index.save(home / "index", {"model": manifest["model"]})


def replace_two_vectors(index: FaissIndex) -> None:
    ids = index.ids()[:2]
    index.remove(ids)
    index.add(ids, unit(np.random.default_rng(99), 2))


def test_vectors_that_differ_from_the_catalog(home):
    _resave(home, replace_two_vectors)
    code, report = check(home)
    assert code == 1 and report["problems"][0] == {
        "kind": "vectors",
        "detail": "2 of 12 index vectors differ from the catalog",
        "fixable": True,
    }
    assert check(home, "--repair")[0] == 0


def test_stale_snapshot_ids(home):
    _resave(home, lambda index: index.remove(index.ids()[:1]))
    code, report = check(home)
    assert (
        code == 1
        and "1 catalog segments are missing from it and 0 segments in it"
        in (report["problems"][0]["detail"])
    )
    code, report = check(home, "--repair")
    assert code == 0 and report["repaired"]


def test_orphan_rows_are_dropped(home):
    with sqlite3.connect(home / "catalog.sqlite") as db:  # foreign keys off: like a bad tool
        db.execute("INSERT INTO segments (video_id, start, end, n_frames, vector) "
                   "VALUES (999, 0, 1, 1, ?)", (np.ones(DIM, np.float32).tobytes(),))  # fmt: skip
        db.execute("INSERT INTO frames (video_id, t, vector) VALUES (999, 0, x'00')")
    code, report = check(home)
    assert code == 1 and "orphans" in kinds(report)
    code, report = check(home, "--repair")
    assert code == 0, report
    assert "dropped orphan frame/segment rows (1 segments)" in report["repaired"]
    assert report["counts"]["segments"] == report["counts"]["index"] == 12


def test_missing_and_changed_files_are_reported_not_repaired(home):
    (home.parent / "v1.mp4").unlink()
    (home.parent / "v2.mp4").write_bytes(b"new content")
    code, report = check(home, "--repair")
    assert code == 1 and report["repaired"] == []
    assert kinds(report) == ["file-missing", "file-changed"]
    assert not any(p["fixable"] for p in report["problems"])
    assert report["counts"]["files_missing"] == 1 and report["counts"]["files_changed"] == 1
    assert check(home, "--no-files")[0] == 0


def test_check_does_not_modify_the_library(home):
    (home / "index" / INDEX_FILE).unlink()
    notes: list[str] = []
    with Library.open(home, read_only=True, notify=notes.append) as lib:
        assert not check_library(lib).clean
    assert not (home / "index" / INDEX_FILE).exists()


def test_ivfpq_snapshot_compares_within_float16_rounding(tmp_path, monkeypatch):
    monkeypatch.setattr(index_kinds, "FLAT_MAX", 10)
    monkeypatch.setattr(index_kinds, "IVF_MAX", 10)
    home = tmp_path / "lib"
    with Library.open(home) as lib:
        lib.bind_model(MODEL)
        with lib.batch():  # ivfpq trains 256 PQ centroids: 300 segments
            for i in range(100):
                lib.commit_video(commit(tmp_path / f"v{i}.mp4", i))
        lib.rebuild_index()
    assert read_manifest(home / "index")["index"]["kind"] == "ivfpq"
    code, report = check(home)
    assert code == 0 and report["counts"]["vectors_compared"] == 300

    _resave(home, replace_two_vectors)
    code, report = check(home)
    assert (
        code == 1
        and report["problems"][0]["detail"] == "2 of 300 index vectors differ from the catalog"
    )
