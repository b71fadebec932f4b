"""Discovery walks folders for video files; content hashes identify bytes, not names."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vidseek.indexer.discover import content_hash, discover


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_discover_walks_folders_and_filters(tmp_path: Path):
    keep = [
        _touch(tmp_path / "a.mp4"),
        _touch(tmp_path / "B.MKV"),
        _touch(tmp_path / "sub" / "deeper" / "c.webm"),
        _touch(tmp_path / "sub" / "d.m2ts"),
        _touch(tmp_path / "sub" / "e.3gp"),
    ]
    for skipped in ("a.mp4.json", "notes.txt", ".hidden.mp4", ".cache/f.mp4", "sub/g.jpg"):
        _touch(tmp_path / skipped)
    (tmp_path / "folder.mp4").mkdir()  # a folder with a video name is walked, not listed
    assert discover([tmp_path]) == sorted(p.absolute() for p in keep)


def test_explicit_files_kept_whatever_extension_and_deduplicated(tmp_path: Path):
    odd = _touch(tmp_path / "recording.bin")
    video = _touch(tmp_path / "v" / "x.mov")
    found = discover([odd, tmp_path / "v", video, tmp_path / "v"])
    assert found == sorted([odd.absolute(), video.absolute()])


def test_missing_paths_are_all_listed(tmp_path: Path):
    _touch(tmp_path / "ok.mp4")
    with pytest.raises(FileNotFoundError) as err:
        discover([tmp_path / "ok.mp4", tmp_path / "gone.mp4", tmp_path / "nowhere"])
    message = str(err.value)
    assert "gone.mp4" in message and "nowhere" in message and "ok.mp4" not in message


def test_content_hash_streams_and_ignores_name(tmp_path: Path):
    data = bytes(range(256)) * 10_000  # 2.5 MiB: spans several chunks
    a = _touch(tmp_path / "a.mp4", data)
    b = _touch(tmp_path / "renamed.mkv", data)
    c = _touch(tmp_path / "c.mp4", data[:-1] + b"\x00")
    assert content_hash(a) == hashlib.sha256(data).hexdigest() == content_hash(b)
    assert content_hash(c) != content_hash(a)
    assert content_hash(_touch(tmp_path / "empty.mp4", b"")) == hashlib.sha256().hexdigest()
