"""Search over HTTP: GET/POST text search, image search, pagination, grouping, filters."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.api_server import built_library, live_server, server_config


@pytest.fixture(scope="module")
def library():
    return built_library()


@pytest.fixture(scope="module")
def client(library):
    with live_server(server_config(library)) as server, server.client() as client:
        yield client


def test_get_search_returns_moments_with_media_urls(client, library):
    response = client.get("/search", params={"q": "a red circle on a blue background", "k": 5})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["query"] == "a red circle on a blue background"
    assert data["library_empty"] is False
    assert 1 <= len(data["results"]) <= 5
    assert data["total"] >= len(data["results"])
    names = {p.name for p in library.videos}
    for rank, moment in enumerate(data["results"], 1):
        assert moment["rank"] == rank
        assert moment["title"] in names
        assert moment["path"].endswith(moment["title"])
        assert 0.0 <= moment["start"] < moment["end"]
        assert moment["stream_url"] == f"/videos/{moment['video_id']}/stream#t={moment['start']}"
        assert moment["thumbnail_url"] == f"/segments/{moment['segment_ids'][0]}/thumbnail"
    scores = [m["score"] for m in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_post_search_equals_get(client):
    query = {"q": "ein gelber Stern auf schwarzem Hintergrund", "k": 3}
    got = client.get("/search", params=query).json()
    posted = client.post("/search", json=query).json()
    assert posted == got
    assert posted["query"] == query["q"]


@pytest.mark.parametrize(
    "text", ["一个红色的圆", "un carré vert sur fond blanc", "😀 emoji and ünïcödé", "x"]
)
def test_any_language_is_accepted(client, text):
    response = client.post("/search", json={"q": text, "k": 2})
    assert response.status_code == 200, response.text
    assert response.json()["query"] == text


def test_pagination_pages_do_not_overlap_and_total_is_stable(client):
    first = client.get("/search", params={"q": "a circle", "k": 1, "offset": 0}).json()
    total = first["total"]
    assert total >= 3
    seen = []
    offset = 0
    while offset is not None:
        page = client.get("/search", params={"q": "a circle", "k": 1, "offset": offset}).json()
        assert page["total"] == total
        assert page["offset"] == offset
        seen += [(m["video_id"], m["start"], m["end"]) for m in page["results"]]
        assert [m["rank"] for m in page["results"]] == [offset + 1]
        offset = page["next_offset"]
    assert len(seen) == total == len(set(seen))
    whole = client.get("/search", params={"q": "a circle", "k": 200}).json()
    assert [(m["video_id"], m["start"], m["end"]) for m in whole["results"]] == seen
    past = client.get("/search", params={"q": "a circle", "k": 5, "offset": total}).json()
    assert past["results"] == [] and past["next_offset"] is None


def test_group_by_video_returns_one_group_per_video_with_clip_counts(client, library):
    data = client.get("/search", params={"q": "a triangle", "group_by": "video", "k": 50}).json()
    assert data["group_by"] == "video" and data["results"] == []
    ids = [g["video_id"] for g in data["groups"]]
    assert len(ids) == len(set(ids)) == data["total"] == len(library.videos)
    for group in data["groups"]:
        assert group["clip_count"] == len(group["clips"]) >= 1
        assert group["score"] == group["clips"][0]["score"]
        assert all(c["video_id"] == group["video_id"] for c in group["clips"])


def test_per_video_caps_clips_of_one_video(client):
    data = client.get("/search", params={"q": "a star", "per_video": 1, "k": 50}).json()
    ids = [m["video_id"] for m in data["results"]]
    assert len(ids) == len(set(ids))


def test_filters_restrict_videos(client, library):
    videos = client.get("/videos").json()["videos"]
    one = videos[0]
    by_id = client.post("/search", json={"q": "a square", "video_ids": [one["id"]]}).json()
    assert by_id["results"] and {m["video_id"] for m in by_id["results"]} == {one["id"]}
    prefix = one["path"][: -len(".mp4")]
    by_prefix = client.get("/search", params={"q": "a square", "path_prefix": prefix}).json()
    assert {m["video_id"] for m in by_prefix["results"]} == {one["id"]}
    nothing = client.post("/search", json={"q": "a square", "path_prefix": ["/nowhere/"]}).json()
    assert nothing["results"] == [] and nothing["total"] == 0
    unknown = client.post("/search", json={"q": "a square", "video_ids": [999999]}).json()
    assert unknown["results"] == []


def test_min_score_drops_weaker_clips(client):
    everything = client.get("/search", params={"q": "a circle", "k": 50}).json()["results"]
    cut = everything[0]["score"] - 1e-5  # scores are rounded to 6 decimals
    strong = client.get("/search", params={"q": "a circle", "k": 50, "min_score": cut}).json()
    assert strong["results"] and all(m["score"] >= cut for m in strong["results"])
    assert len(strong["results"]) < len(everything)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "k": 0},
        {"q": "x", "k": 201},
        {"q": "x", "offset": -1},
        {"q": "x", "min_score": 2},
        {"q": "x", "group_by": "frame"},
        {"q": "x", "per_video": 0},
        {"k": 3},
        {"q": "x" * 2001},
    ],
)
def test_bad_parameters_are_422_with_json_error(client, params):
    response = client.get("/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["message"]


def test_blank_query_is_refused_as_the_schema_says(client):
    for response in (client.post("/search", json={"q": "   "}), client.get("/search?q=%0C")):
        assert response.status_code == 422
        assert "empty" in response.json()["error"]["message"]


def test_unknown_json_fields_are_rejected(client):
    response = client.post("/search", json={"q": "x", "top": 3})
    assert response.status_code == 422
    assert "top" in response.json()["error"]["message"]


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((64, 96, 3), color, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def test_image_search(client):
    files = {"image": ("query.png", _png((220, 30, 30)), "image/png")}
    response = client.post("/search/image", files=files, data={"k": "2", "group_by": "video"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["query"] is None and len(data["groups"]) == 2


def test_image_search_rejects_non_images(client):
    files = {"image": ("query.png", b"definitely not a png", "image/png")}
    response = client.post("/search/image", files=files)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_image"
    missing = client.post("/search/image", data={"k": "2"})
    assert missing.status_code == 422


def test_empty_library_says_so(tmp_path):
    config = server_config(built_library(), home=tmp_path / "empty")
    with live_server(config) as server, server.client() as client:
        data = client.get("/search", params={"q": "anything"}).json()
        assert data["library_empty"] is True and data["results"] == [] and data["total"] == 0


def test_405_names_every_method_of_the_path(client):
    for path, methods in (("/search", {"GET", "POST"}), ("/videos/1", {"GET", "DELETE"})):
        response = client.options(path)
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert methods <= allowed, allowed
