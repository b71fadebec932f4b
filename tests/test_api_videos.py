"""Video listing, detail and deletion over HTTP."""

from __future__ import annotations

import pytest

from tests.api_server import built_library, live_server, server_config


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return built_library().copy(tmp_path_factory.mktemp("videos") / "library")


@pytest.fixture(scope="module")
def client(library):
    with live_server(server_config(library)) as server, server.client() as client:
        yield client


def test_list_is_paginated(client, library):
    everything = client.get("/videos", params={"limit": 500}).json()
    assert everything["total"] == len(library.videos)
    ids = [v["id"] for v in everything["videos"]]
    pages, offset = [], 0
    while offset is not None:
        page = client.get("/videos", params={"limit": 2, "offset": offset}).json()
        assert page["total"] == everything["total"] and len(page["videos"]) <= 2
        pages += [v["id"] for v in page["videos"]]
        offset = page["next_offset"]
    assert pages == ids and len(set(ids)) == len(ids)
    video = everything["videos"][0]
    assert video["status"] == "indexed" and video["n_segments"] > 0 and video["duration"] > 0
    assert video["stream_url"] == f"/videos/{video['id']}/stream"
    assert video["title"] in {p.name for p in library.videos}
    failed = client.get("/videos", params={"status": "failed"}).json()
    assert failed["total"] == 0 and failed["videos"] == []


def test_detail_has_segments(client):
    video = client.get("/videos").json()["videos"][0]
    detail = client.get(f"/videos/{video['id']}").json()
    assert detail["id"] == video["id"] and detail["path"] == video["path"]
    assert len(detail["segments"]) == video["n_segments"] > 0
    for segment in detail["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= video["duration"] + 1
        assert segment["thumbnail_url"] == f"/segments/{segment['id']}/thumbnail"


BAD_IDS = [
    ("/videos/999999", 404),
    ("/videos/0", 422),
    ("/videos/abc", 422),
    ("/videos/99999999999999999999", 422),
]


@pytest.mark.parametrize("path,status", BAD_IDS)
def test_bad_ids(client, path, status):
    for method in ("GET", "DELETE"):
        response = client.request(method, path)
        assert response.status_code == status
        assert response.json()["error"]["message"]


def test_delete_removes_video_from_everything(client):
    query = {"q": "a blue square", "k": 50, "group_by": "video"}
    before = client.get("/search", params=query).json()
    victim = before["groups"][0]["video_id"]
    response = client.delete(f"/videos/{victim}")
    assert response.status_code == 200 and response.json() == {"id": victim, "deleted": True}
    after = client.get("/search", params=query).json()
    assert victim not in {g["video_id"] for g in after["groups"]}
    assert after["total"] == before["total"] - 1
    clips = client.get("/search", params={"q": "a blue square", "k": 200}).json()["results"]
    assert victim not in {m["video_id"] for m in clips}
    assert client.get(f"/videos/{victim}").status_code == 404
    assert client.get(f"/videos/{victim}/stream").status_code == 404
    assert client.delete(f"/videos/{victim}").status_code == 404
    assert victim not in {v["id"] for v in client.get("/videos").json()["videos"]}
