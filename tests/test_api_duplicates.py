"""``GET /duplicates`` and ``collapse_duplicates`` on the search endpoints, over HTTP, on the
demo world and its copies (``tests/duplicate_world.py``), with the bundled model."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

from tests.api_server import live_server
from tests.duplicate_world import SIZE, duplicate_world
from vidseek.api import ServerConfig
from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene

QUERY = "a green circle on an orange background"  # orig_0's first scene


@pytest.fixture(scope="module")
def world():
    return duplicate_world()


@pytest.fixture(scope="module")
def client(world, tmp_path_factory):
    home = tmp_path_factory.mktemp("duplicates-api") / "library"
    shutil.copytree(world.home, home)
    config = ServerConfig(
        home=home, model_spec="vidseek-demo", isolate_decoding=False, preload_model=False
    )
    with live_server(config) as server, server.client() as client:
        yield client


def test_duplicates_lists_the_copies_and_the_shared_clip(client, world):
    response = client.get("/duplicates")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["videos"] == len(world.ids)
    (group,) = data["copies"]
    stems = {v["title"].removesuffix(".mp4") for v in group["videos"]}
    assert stems == {"orig_0", *world.copies_of_a}
    assert all(v["stream_url"] == f"/videos/{v['video_id']}/stream" for v in group["videos"])
    (shared,) = data["shared_clips"]
    assert {m["title"] for m in shared["moments"]} == {"orig_1.mp4", "b_inside.mp4"}
    assert all("#t=" in m["stream_url"] for m in shared["moments"])
    assert len(data["pairs"]) == 16  # 15 among the six copies, and the shared clip


def test_thresholds_are_parameters(client):
    assert client.get("/duplicates", params={"min_shared": 60}).json()["shared_clips"] == []
    for bad in ({"min_similarity": 1.5}, {"min_coverage": 0}, {"min_shared": -1}):
        assert client.get("/duplicates", params=bad).status_code == 422


def test_search_collapses_copies_when_asked(client, world):
    family = {world.ids[s] for s in ("orig_0", *world.copies_of_a)}
    plain = client.get("/search", params={"q": QUERY, "k": 6}).json()["results"]
    assert len([m for m in plain if m["video_id"] in family]) >= 4
    assert all(m["copies"] == [] for m in plain)
    body = {"q": QUERY, "k": 6, "collapse_duplicates": True}
    folded = client.post("/search", json=body).json()["results"]
    top = folded[0]
    assert top["video_id"] in family
    copies = top["copies"]
    assert len({c["video_id"] for c in copies} & family) >= 4
    assert all(c["stream_url"].startswith(f"/videos/{c['video_id']}/stream#t=") for c in copies)


def test_image_search_collapses_too(client, world):
    from PIL import Image

    frame = render_frame(Scene(0.0, 3.0, "circle", "green", "orange"), 1.0, *SIZE)
    png = io.BytesIO()
    Image.fromarray(np.asarray(frame)).save(png, format="PNG")
    files = {"image": ("q.png", png.getvalue(), "image/png")}
    folded = client.post(
        "/search/image", files=files, data={"k": "3", "collapse_duplicates": "true"}
    ).json()["results"]
    assert len(folded[0]["copies"]) >= 4, folded[0]
