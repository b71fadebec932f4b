"""The snapshot module: one verdict for loading and checking, atomic files, the index seam
behind a double, and a Library that opens without faiss."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.exact_index import ExactIndex
from tests.test_library import DIM, MODEL, QUERIES, Notes, fill, hit_ids, make_commit
from vidseek.core import snapshot
from vidseek.core.check import check_library
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.library import Library
from vidseek.core.snapshot import INDEX_FILE, MANIFEST_FILE
from vidseek.core.types import ModelIdentity

ROOT = Path(__file__).resolve().parents[1]
OTHER = ModelIdentity("other-net", "random", DIM, 32, MODEL.mean, MODEL.std)


def _resave(index_dir: Path, change, model: ModelIdentity = MODEL) -> None:
    index, _ = FaissIndex.load(index_dir)
    change(index)
    index.save(index_dir, snapshot.model_fields(model))


def _damage(index_dir: Path, how: str) -> None:
    index_file, manifest = index_dir / INDEX_FILE, index_dir / MANIFEST_FILE
    if how == "no-index":
        index_file.unlink()
    elif how == "no-manifest":
        manifest.unlink()
    elif how == "flip":
        data = bytearray(index_file.read_bytes())
        data[len(data) // 2] ^= 0x55
        index_file.write_bytes(bytes(data))
    elif how == "bad-json":
        manifest.write_text("{not json")
    elif how == "old-format":
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 0}))
    elif how == "fewer-ids":
        _resave(index_dir, lambda index: index.remove(index.ids()[:2]))
    elif how == "other-model":
        _resave(index_dir, lambda index: None, OTHER)
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "starts"),
    [
        ("no-index", "the vector index is missing"),
        ("no-manifest", "the vector index is missing"),
        ("flip", "the vector index is corrupt: segments.faiss checksum"),
        ("bad-json", "the vector index is corrupt: cannot read manifest.json"),
        ("old-format", "the vector index is corrupt: unknown index format 0"),
        ("fewer-ids", "the vector index is stale: 2 catalog segments are missing from it"),
        ("other-model", "the vector index is stale: built with other-net:random"),
    ],
)
def test_load_and_check_report_the_same_reason(tmp_path, how: str, starts: str) -> None:
    fill(tmp_path, n_videos=3).close()
    _damage(tmp_path / "index", how)
    with Library.open(tmp_path, read_only=True) as lib:
        problems = check_library(lib, files=False).problems
    assert [p.kind for p in problems] == ["snapshot"]
    reported = problems[0].detail
    assert reported.startswith(starts), reported
    notes = Notes()
    with Library.open(tmp_path, notify=notes) as lib:
        lib.load_index()
    assert notes == [f"{reported}; rebuilt from the catalog (15 segments)"]
    with Library.open(tmp_path, read_only=True) as lib:  # the load saved a good one
        assert check_library(lib, files=False).clean


def test_a_sound_snapshot_passes_verify(tmp_path) -> None:
    lib = fill(tmp_path, n_videos=2)
    ids = lib.catalog.segment_table().ids
    lib.close()
    verdict = snapshot.verify(tmp_path / "index", MODEL, ids, FaissIndex)
    assert verdict.problem is None and verdict.snapshot is not None
    assert verdict.snapshot.index.ntotal == len(ids) == verdict.snapshot.manifest["count"]
    raw = (tmp_path / "index" / MANIFEST_FILE).read_bytes()
    assert verdict.snapshot.manifest_bytes == raw


def test_atomic_write_leaves_the_old_file_when_it_fails(tmp_path) -> None:
    target = tmp_path / "f.bin"
    snapshot.atomic_write(target, b"old", "snapshot-rename")

    def parts():
        yield b"half of the new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        snapshot.atomic_write_parts(tmp_path, parts(), "f.bin", "snapshot-rename")
    assert target.read_bytes() == b"old" and snapshot.temp_files(tmp_path) == []
    named, sha = snapshot.atomic_write_parts(tmp_path, [b"a", b"b"], lambda h: h[:8], "x")
    assert named.name == sha[:8] and named.read_bytes() == b"ab"


def test_the_library_works_behind_the_seam_with_a_double(tmp_path) -> None:
    lib = Library.open(tmp_path, index_factory=ExactIndex)
    lib.bind_model(MODEL)
    with lib.batch():
        for v in range(3):
            lib.commit_video(make_commit(f"/videos/{v}.mp4", seed=v))
    want = hit_ids(lib.search_vectors(QUERIES, 6))
    lib.close()
    notes = Notes()
    with Library.open(tmp_path, read_only=True, notify=notes, index_factory=ExactIndex) as lib:
        assert hit_ids(lib.search_vectors(QUERIES, 6)) == want
        assert isinstance(lib._index, ExactIndex) and notes == []  # its own snapshot loaded
    with Library.open(tmp_path, read_only=True) as lib:  # FAISS cannot read that snapshot
        assert not check_library(lib, files=False).clean


def test_reading_the_catalog_imports_neither_faiss_nor_torch(tmp_path) -> None:
    fill(tmp_path, n_videos=2).close()
    code = (
        "import sys; from vidseek.core.library import Library\n"
        "with Library.open(sys.argv[1], read_only=True) as lib:\n"
        "    n = len(lib.videos()); lib.stats()\n"
        "print(n, 'faiss' in sys.modules, 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "False", "False"]


def test_size_bytes_counts_snapshot_files_not_temp_files(tmp_path) -> None:
    fill(tmp_path, n_videos=1).close()
    index_dir = tmp_path / "index"
    before = snapshot.size_bytes(index_dir)
    expected = sum(p.stat().st_size for p in index_dir.iterdir())
    (index_dir / ".segments.faiss.x.tmp").write_bytes(b"12345")
    assert before == expected == snapshot.size_bytes(index_dir)
    assert snapshot.remove_temp_files(index_dir) == [".segments.faiss.x.tmp"]
    assert snapshot.size_bytes(index_dir) == before


def test_snapshot_files_are_as_readable_as_a_normally_created_file(tmp_path):
    import os
    import stat

    from vidseek.core.snapshot import atomic_write

    reference = tmp_path / "reference"
    reference.write_bytes(b"x")
    target = tmp_path / "segments.faiss"
    atomic_write(target, b"data", fault="test")
    assert stat.S_IMODE(os.stat(target).st_mode) == stat.S_IMODE(os.stat(reference).st_mode)
