"""A library follows its files: modified files are re-indexed, moved ones keep their vectors,
copies are recognised, gone ones are pruned on request, unchanged ones are not even hashed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vidseek.cli.main import cli
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.demo.render import write_video
from vidseek.demo.world import Scene
from vidseek.indexer import pipeline
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.pipeline import IndexReport, index_paths

MODEL = "vidseek-demo:random"
LOOKS = [("circle", "red", "blue"), ("square", "yellow", "green"), ("star", "white", "black")]


def make(path: Path, look: int, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(path, [Scene(0.0, seconds, *LOOKS[look])], width=96, height=64, fps=6)
    Path(f"{path}.json").unlink()
    return path


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(MODEL)


@pytest.fixture
def lib(tmp_path):
    with Library.open(tmp_path / "lib") as library:
        yield library


def run(lib: Library, encoder, *paths: Path, **kwargs) -> IndexReport:
    options = IndexOptions(fps=4.0)
    return index_paths(lib, encoder, paths, options=options, decoder=default_decoder(), **kwargs)


def statuses(report: IndexReport) -> dict[str, tuple[str, str]]:
    return {o.path.name: (o.status, o.reason) for o in report.outcomes}


def test_modified_file_is_reindexed_in_place(lib, encoder, tmp_path):
    video = make(tmp_path / "v" / "a.mp4", 0)
    run(lib, encoder, video.parent)
    before = lib.find_video_by_path(str(video))
    old_segments = {s.id for s in lib.segments(before.id)}
    make(video, 1, seconds=2.0)
    report = run(lib, encoder, video.parent)
    assert statuses(report) == {"a.mp4": ("indexed", "")}
    after = lib.find_video_by_path(str(video))
    assert lib.count_videos() == 1 and after.content_hash != before.content_hash
    assert after.duration == pytest.approx(2.0, abs=0.3)
    assert not old_segments & set(lib.segment_ids_for_videos([after.id]))
    assert lib.stats_segments() == len(lib.segments(after.id))


def test_moved_file_keeps_its_vectors_without_reembedding(lib, encoder, tmp_path):
    a = make(tmp_path / "v" / "a.mp4", 0)
    make(tmp_path / "v" / "b.mp4", 1)
    run(lib, encoder, a.parent)
    record = lib.find_video_by_path(str(a))
    segments = lib.segments(record.id)
    moved = tmp_path / "v" / "sub" / "renamed.mp4"
    moved.parent.mkdir()
    a.rename(moved)
    report = run(lib, encoder, a.parent)
    assert statuses(report)["renamed.mp4"] == ("moved", f"moved from {a}")
    assert report.frames == 0
    assert lib.find_video_by_path(str(a)) is None
    assert lib.find_video_by_path(str(moved)).id == record.id
    assert lib.segments(record.id) == segments and lib.count_videos() == 2
    hits = lib.search_vectors(lib.frames(record.id)[1][:1], 1)[0]
    assert hits[0].video_id == record.id


def test_copy_is_reported_as_same_content(lib, encoder, tmp_path):
    a = make(tmp_path / "v" / "a.mp4", 0)
    run(lib, encoder, a.parent)
    shutil.copy(a, tmp_path / "v" / "copy.mp4")
    report = run(lib, encoder, a.parent)
    assert statuses(report) == {
        "a.mp4": ("unchanged", ""),
        "copy.mp4": ("unchanged", f"same content as {a}"),
    }
    assert lib.count_videos() == 1


def test_rename_then_new_file_under_the_old_name(lib, encoder, tmp_path):
    a = make(tmp_path / "v" / "a.mp4", 0)
    run(lib, encoder, a.parent)
    old_id = lib.find_video_by_path(str(a)).id
    a.rename(tmp_path / "v" / "b.mp4")
    make(a, 2)
    report = run(lib, encoder, a.parent)
    assert statuses(report) == {"a.mp4": ("indexed", ""), "b.mp4": ("moved", f"moved from {a}")}
    assert lib.find_video_by_path(str(tmp_path / "v" / "b.mp4")).id == old_id
    assert lib.count_videos() == 2


def test_prune_only_touches_the_given_folders(lib, encoder, tmp_path):
    keep = make(tmp_path / "one" / "keep.mp4", 0)
    gone = make(tmp_path / "one" / "gone.mp4", 1)
    elsewhere = make(tmp_path / "two" / "elsewhere.mp4", 2)
    run(lib, encoder, keep.parent, elsewhere.parent)
    gone_id = lib.find_video_by_path(str(gone)).id
    gone.unlink()
    elsewhere.unlink()
    assert run(lib, encoder, keep.parent).pruned == []  # not without --prune
    report = run(lib, encoder, keep.parent, prune=True)
    assert report.pruned == [str(gone)]
    assert {v.path for v in lib.videos()} == {str(keep), str(elsewhere)}
    assert not len(lib.segment_ids_for_videos([gone_id]))


def test_cheap_skip_does_not_hash_and_rehash_sees_same_size_edits(
    lib, encoder, tmp_path, monkeypatch
):
    a = make(tmp_path / "v" / "a.mp4", 0)
    run(lib, encoder, a.parent)
    hashed: list[Path] = []
    real_hash = pipeline.content_hash
    monkeypatch.setattr(pipeline, "content_hash", lambda p: hashed.append(p) or real_hash(p))
    assert statuses(run(lib, encoder, a.parent)) == {"a.mp4": ("unchanged", "")}
    assert hashed == []

    # Same content, new mtime: hashed once, then remembered.
    os.utime(a, (1_000_000_000, 1_000_000_000))
    assert statuses(run(lib, encoder, a.parent)) == {"a.mp4": ("unchanged", "")}
    assert hashed == [a]
    run(lib, encoder, a.parent)
    assert hashed == [a]

    # The documented trade-off: same size and mtime hide an edit until --rehash.
    data = bytearray(a.read_bytes())
    stat = a.stat()
    data[-20:] = bytes(20)
    a.write_bytes(bytes(data))
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert statuses(run(lib, encoder, a.parent))["a.mp4"][0] == "unchanged"
    report = run(lib, encoder, a.parent, rehash=True)
    assert statuses(report)["a.mp4"][0] in ("indexed", "failed")
    assert lib.find_video_by_path(str(a)).content_hash == real_hash(a)


def test_duplicate_new_files_are_embedded_once(lib, encoder, tmp_path):
    a = make(tmp_path / "v" / "a.mp4", 0)
    shutil.copy(a, tmp_path / "v" / "b.mp4")
    report = run(lib, encoder, a.parent)
    assert statuses(report) == {
        "a.mp4": ("indexed", ""),
        "b.mp4": ("unchanged", f"same content as {a}"),
    }
    assert lib.count_videos() == 1


def test_cli_prune_and_summary(tmp_path):
    folder = tmp_path / "media"
    a, b = make(folder / "a.mp4", 0), make(folder / "b.mp4", 1)
    library = tmp_path / "lib"
    prefix = ["--library", str(library), "--model", MODEL]
    assert CliRunner().invoke(cli, [*prefix, "index", str(folder), "--fps", "4"]).exit_code == 0
    a.rename(folder / "c.mp4")
    b.unlink()
    result = CliRunner().invoke(cli, [*prefix, "index", str(folder), "--fps", "4", "--prune"])
    assert result.exit_code == 0, result.output
    assert "indexed 0, unchanged 0, failed 0 (0 frames" in result.output
    assert "moved 1, pruned 1" in result.output
    with Library.open(library, read_only=True) as lib:
        assert [v.path for v in lib.videos()] == [str(folder / "c.mp4")]
        assert np.all(lib.segment_ids_for_videos([lib.videos()[0].id]) > 0)


def test_file_overwritten_with_a_copy_loses_its_old_entry(lib, encoder, tmp_path):
    a, b = make(tmp_path / "v" / "a.mp4", 0), make(tmp_path / "v" / "b.mp4", 1)
    run(lib, encoder, a.parent)
    b_id = lib.find_video_by_path(str(b)).id
    shutil.copy(a, b)
    report = run(lib, encoder, a.parent)
    assert statuses(report)["b.mp4"] == ("unchanged", f"same content as {a}")
    assert lib.find_video_by_path(str(b)) is None and lib.count_videos() == 1
    assert not len(lib.segment_ids_for_videos([b_id]))
