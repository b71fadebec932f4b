"""``POST /search/video``: more like this over HTTP, on the demo world with the bundled model."""

from __future__ import annotations

import shutil

import pytest

from tests.api_server import live_server
from tests.similar_world import DEMO_MODEL, VIDEOS, similar_world
from vidseek.api import ServerConfig


@pytest.fixture(scope="module")
def world():
    return similar_world()


@pytest.fixture(scope="module")
def server(world, tmp_path_factory):
    home = tmp_path_factory.mktemp("similar-api") / "library"
    shutil.copytree(world.home, home)
    config = ServerConfig(
        home=home, model_spec=DEMO_MODEL, isolate_decoding=False, preload_model=False
    )
    with live_server(config) as server:
        yield server


@pytest.fixture(scope="module")
def client(server):
    with server.client() as client:
        yield client


def post(client, **body):
    return client.post("/search/video", json=body)


def test_a_moment_finds_its_twins_in_other_videos_first(client, world):
    scene = VIDEOS[0][0]  # a red circle
    response = post(client, video_id=world.ids[0], start=scene.start, end=scene.end, k=2)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["query"] is None and data["group_by"] == "clip" and data["groups"] == []
    assert data["library_empty"] is False and data["next_offset"] == 2
    assert {(m["video_id"], m["start"]) for m in data["results"]} == world.scenes_like(scene, 0)
    for rank, moment in enumerate(data["results"], 1):
        assert moment["rank"] == rank
        assert moment["title"].startswith("world_")
        assert moment["thumbnail_url"] == f"/segments/{moment['segment_ids'][0]}/thumbnail"
        assert moment["stream_url"].startswith(f"/videos/{moment['video_id']}/stream#t=")


def test_the_source_is_left_out_unless_asked_for(client, world):
    source = world.ids[1]
    body = {"video_id": source, "start": 4.0, "end": 8.0, "k": 50}
    without = post(client, **body).json()["results"]
    assert without and all(m["video_id"] != source for m in without)
    first = post(client, **body, include_source=True).json()["results"][0]
    assert (first["video_id"], first["start"], first["end"]) == (source, 4.0, 8.0)
    assert first["score"] > 0.999


def test_pages_and_groups_like_a_search(client, world):
    body = {"video_id": world.ids[4], "k": 2}
    first = post(client, **body).json()
    second = post(client, **body, offset=2).json()
    assert first["total"] == second["total"] and second["offset"] == 2
    seen = [(m["video_id"], m["start"]) for m in first["results"] + second["results"]]
    assert len(set(seen)) == 4
    grouped = post(client, **body, group_by="video", per_video=1).json()
    ids = [g["video_id"] for g in grouped["groups"]]
    assert grouped["results"] == [] and world.ids[4] not in ids and len(ids) == len(set(ids))
    assert all(len(g["clips"]) == 1 for g in grouped["groups"])


def test_no_model_is_loaded(server, client, world):
    assert post(client, video_id=world.ids[2]).status_code == 200
    state = server.app.state.services.state
    assert state._encoder is None and state._text_encoder is None


def test_an_unknown_video_is_404(client):
    response = post(client, video_id=9999)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "video_not_found"


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (4.0, 4.0, "start must be before end"),
        (6.0, 2.0, "start must be before end"),
        (8.0, None, "outside the video"),
        (1.0, 30.0, "outside the video"),
    ],
)
def test_a_bad_range_is_422(client, world, start, end, words):
    response = post(client, video_id=world.ids[0], start=start, end=end)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_range" and words in error["message"]


@pytest.mark.parametrize(
    "extra",
    [{"start": -1}, {"end": True}, {"include_source": "yes"}, {"include_source": 1}, {"x": 1}],
)
def test_what_the_schema_refuses_is_422(client, world, extra):
    response = post(client, video_id=world.ids[0], **extra)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_the_schema_publishes_the_request(client):
    operation = client.get("/openapi.json").json()["paths"]["/search/video"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/SimilarSearchRequest")
    assert {"404", "422"} <= set(operation["responses"])
