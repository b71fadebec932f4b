"""The sharper questions over HTTP on the demo world: video filters with paging and grouping,
temporal order (``then``), exclusion (``not``) and image + text (``POST /search/image``)."""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from tests.api_server import live_server
from tests.sharper_world import DEMO_MODEL, sharper_world
from vidseek.api import ServerConfig
from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene


@pytest.fixture(scope="module")
def world():
    return sharper_world()


@pytest.fixture(scope="module")
def client(world, tmp_path_factory):
    home = tmp_path_factory.mktemp("sharper-api") / "library"
    shutil.copytree(world.home, home)
    config = ServerConfig(
        home=home, model_spec=DEMO_MODEL, isolate_decoding=False, preload_model=False
    )
    with live_server(config) as server, server.client() as client:
        yield client


def names(world, results) -> list[str]:
    return [world.name_of(m["video_id"]) for m in results]


def test_filters_page_and_group(client, world):
    query = {"q": "a red circle", "min_score": 0.5, "max_height": 150, "k": 2}
    first = client.get("/search", params=query)
    assert first.status_code == 200, first.text
    data = first.json()
    assert data["total"] == 4 and data["next_offset"] == 2
    second = client.get("/search", params={**query, "offset": 2}).json()
    seen = names(world, data["results"]) + names(world, second["results"])
    assert sorted(seen) == sorted(["a_then_b", "red_on_black", "a_gap_b", "red_short"])
    grouped = client.post(
        "/search",
        json={"q": "a red circle", "min_score": 0.5, "group_by": "video",
              "created_after": "2021-01-01", "modified_after": "2020-02-01"},
    ).json()  # fmt: skip
    assert sorted(names(world, grouped["groups"])) == ["a_gap_b", "b_then_a"]


def test_speech_subtitles_and_language(client, world):
    """The demo world has neither speech nor subtitles."""
    query = {"q": "a red circle", "min_score": 0.5}
    assert client.get("/search", params={**query, "has_speech": "false"}).json()["total"] == 5
    for extra in ({"has_speech": "true"}, {"has_subtitles": "true"}, {"language": ["en"]}):
        response = client.get("/search", params={**query, **extra})
        assert response.status_code == 200 and response.json()["total"] == 0, extra


def test_bad_filters_are_422(client):
    for params in (
        {"q": "x", "created_after": "yesterday"},
        {"q": "x", "min_height": -1},
        {"q": "x", "language": "english!"},
    ):
        response = client.get("/search", params=params)
        assert response.status_code == 422, (params, response.text)


def test_then_over_http(client, world):
    body = {"q": "a red circle", "then": "a blue square", "min_score": 0.5}
    data = client.post("/search", json=body).json()
    assert data["query"] == "a red circle, then a blue square"
    spans = {(world.name_of(m["video_id"]), m["start"], m["end"]) for m in data["results"]}
    assert spans == {("a_then_b", 0.0, 8.0), ("a_gap_b", 0.0, 16.0)}
    reverse = client.get("/search", params={**body, "q": "a blue square", "then": "a red circle"})
    assert names(world, reverse.json()["results"]) == ["b_then_a"]
    near = client.post("/search", json={**body, "max_gap": 5}).json()
    assert names(world, near["results"]) == ["a_then_b"]


def test_not_over_http(client, world):
    body = {"q": "a red circle", "min_score": 0.5, "not": ["a black background"]}
    found = set(names(world, client.post("/search", json=body).json()["results"]))
    assert found == {"a_then_b", "b_then_a", "a_gap_b", "red_short"}
    by_get = client.get("/search", params=body).json()["results"]
    assert set(names(world, by_get)) == found


def test_image_and_text_over_http(client, world):
    picture = render_frame(Scene(0, 4, "circle", "red", "white"), 2.0, 256, 256)
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    files = {"image": ("red.png", buffer.getvalue(), "image/png")}
    alone = client.post("/search/image", files=files, data={"k": 1}).json()
    assert names(world, alone["results"]) == ["a_then_b"]
    moved = client.post("/search/image", files=files, data={"k": 1, "text": "blue"}).json()
    assert names(world, moved["results"]) == ["blue_circle"]
    small = client.post(
        "/search/image", files=files, data={"k": 3, "text": "blue", "max_height": 200}
    ).json()
    assert "blue_circle" not in names(world, small["results"])
