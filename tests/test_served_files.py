"""Streams and thumbnails serve only the file that was indexed, never what a swapped-in
symlink points to (issue: /videos/ID/stream returned /etc/passwd)."""

from __future__ import annotations

import os

import pytest

from tests.api_server import built_library, live_server, server_config
from tests.conftest import raised_within
from vidseek.api.errors import ApiError
from vidseek.api.served_files import open_served_file


def test_the_indexed_file_opens_and_names_its_real_location(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"x" * 100)
    link = tmp_path / "link.mp4"
    link.symlink_to(video)
    fd, real = open_served_file(link, 100, roots=[tmp_path])
    os.close(fd)
    assert real == video


@pytest.mark.parametrize("case", ["other size", "outside the roots", "fifo", "missing"])
def test_anything_else_is_a_missing_file(tmp_path, case):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    path = root / "a.mp4"
    if case == "other size":
        path.write_bytes(b"x" * 99)
    elif case == "outside the roots":
        (outside / "b.mp4").write_bytes(b"x" * 100)
        path.symlink_to(outside / "b.mp4")
    elif case == "fifo":
        os.mkfifo(path)
    error = raised_within(5, lambda: open_served_file(path, 100, roots=[root]))
    assert isinstance(error, ApiError) and error.status == 404


def test_a_swapped_in_symlink_is_served_as_missing(tmp_path):
    library = built_library(n_videos=1, seed=99)  # a library of its own: its video is swapped
    video = library.videos[0]
    with live_server(server_config(library)) as server, server.client() as client:
        (meta,) = client.get("/videos").json()["videos"]
        assert client.get(meta["stream_url"], headers={"Range": "bytes=0-9"}).status_code == 206
        segment = client.get(f"/videos/{meta['id']}").json()["segments"][0]
        kept = tmp_path / "kept.mp4"
        os.rename(video, kept)
        try:
            video.symlink_to("/etc/passwd")
            stream = client.get(meta["stream_url"])
            assert stream.status_code == 404 and "root:" not in stream.text
            assert client.get(segment["thumbnail_url"]).status_code == 404
        finally:
            video.unlink()
            os.rename(kept, video)
        assert client.get(segment["thumbnail_url"]).status_code == 200
