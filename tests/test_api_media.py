"""Streaming with HTTP Range requests, and segment thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.api_server import built_library, live_server, server_config


@pytest.fixture(scope="module")
def client():
    with live_server(server_config(built_library())) as server, server.client() as client:
        yield client


@pytest.fixture(scope="module")
def video(client):
    video = client.get("/videos").json()["videos"][0]
    return video, Path(video["path"]).read_bytes()


def test_whole_file(client, video):
    meta, data = video
    response = client.get(meta["stream_url"])
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(data)


@pytest.mark.parametrize(
    "header,first,last",
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),
        ("bytes=-50", -50, None),
        ("bytes=10-10", 10, 10),
        ("bytes=5-999999999", 5, None),
    ],
)
def test_range_requests_return_the_exact_bytes(client, video, header, first, last):
    meta, data = video
    response = client.get(meta["stream_url"], headers={"Range": header})
    assert response.status_code == 206
    size = len(data)
    start = first if first >= 0 else size + first
    end = size - 1 if last is None else last
    assert response.content == data[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{size}"
    assert int(response.headers["content-length"]) == end - start + 1


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=-0", "bytes=" + "9" * 5000 + "-"])
def test_unsatisfiable_ranges_are_416(client, video, header):
    meta, data = video
    response = client.get(meta["stream_url"], headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(data)}"
    assert response.json()["error"]["code"] == "range_not_satisfiable"


def test_multiple_ranges_get_the_whole_file(client, video):
    meta, data = video
    response = client.get(meta["stream_url"], headers={"Range": "bytes=0-1,5-6"})
    assert response.status_code == 200 and response.content == data


def test_head_gives_length_without_body(client, video):
    meta, data = video
    response = client.head(meta["stream_url"])
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(data) and response.content == b""


def test_missing_video_is_404(client):
    response = client.get("/videos/424242/stream")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_found"


def test_thumbnail_is_a_small_jpeg_of_the_moment():
    # A server of its own, so that no other test has filled its thumbnail cache.
    with live_server(server_config(built_library())) as server, server.client() as client:
        thumbnails = server.app.state.services.thumbnails
        meta = client.get("/videos").json()["videos"][0]
        segment = client.get(f"/videos/{meta['id']}").json()["segments"][1]
        response = client.get(segment["thumbnail_url"])
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(response.content))
        assert image.format == "JPEG" and max(image.size) <= 320 and image.size[0] > 0
        assert thumbnails.decodes == 1  # the first request decodes the frame
        again = client.get(segment["thumbnail_url"])
        assert again.status_code == 200 and again.content == response.content
        assert thumbnails.decodes == 1  # the second is served from the cache


def test_thumbnails_of_search_results(client):
    moments = client.get("/search", params={"q": "a green star", "k": 3}).json()["results"]
    assert len(moments) == 3
    for moment in moments:
        response = client.get(moment["thumbnail_url"])
        assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"


def test_unknown_segment_is_404(client):
    response = client.get("/segments/987654/thumbnail")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "segment_not_found"


def test_thumbnail_shows_the_segment_middle(client):
    """The corner pixel of the thumbnail is the background of the scene at the middle time."""
    from vidseek.demo.world import RGB

    library = built_library()
    checked = 0
    for meta in client.get("/videos").json()["videos"]:
        truth = library.truth(Path(meta["path"]))
        for segment in client.get(f"/videos/{meta['id']}").json()["segments"]:
            middle = (segment["start"] + segment["end"]) / 2
            scene = next(s for s in truth["scenes"] if s["start"] <= middle < s["end"])
            if min(middle - scene["start"], scene["end"] - middle) < 0.3:
                continue  # too close to a cut to be sure which frame is shown
            checked += 1
            jpeg = client.get(segment["thumbnail_url"]).content
            pixel = Image.open(io.BytesIO(jpeg)).convert("RGB").getpixel((2, 2))
            expected = RGB[scene["background"]]
            assert max(abs(a - b) for a, b in zip(pixel, expected, strict=True)) < 40, (
                meta["title"],
                segment,
                scene,
                pixel,
            )
    assert checked >= len(library.videos), f"only {checked} segments far enough from a cut"
