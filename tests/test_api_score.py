"""`POST /score`: CLIPSIM over HTTP, for files inside the media roots only."""

import pytest

from tests.api_server import DEMO_MODEL, built_library, live_server, server_config
from vidseek.demo.render import write_video
from vidseek.demo.world import Scene, describe


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    library = built_library(DEMO_MODEL)
    base = tmp_path_factory.mktemp("score")
    root = base / "media"
    root.mkdir()
    write_video(root / "circle.mp4", [Scene(0.0, 3.0, "circle", "red", "blue")], fps=12)
    (root / "notes.mp4").write_text("not a video")
    (root / "folder").mkdir()
    outside = base / "outside.mp4"
    write_video(outside, [Scene(0.0, 2.0, "star", "white", "black")], fps=12)
    # the real default: decoded in an isolated worker process
    config = server_config(library, media_roots=(root,), isolate_decoding=True)
    with live_server(config) as server, server.client() as client:
        yield client, root, outside


def test_the_true_description_scores_higher(setup):
    client, root, _ = setup
    right = describe("circle", "red", "blue")
    wrong = describe("square", "green", "white")
    answers = [
        client.post("/score", json={"path": "circle.mp4", "prompt": p, "frames": True})
        for p in (right, wrong)
    ]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    good, bad = (a.json() for a in answers)
    assert good["model"] == "vidseek-demo:bundled" and good["metric"] == "clipsim"
    assert good["path"] == str((root / "circle.mp4").resolve())
    assert good["frames"] == 3 and [f["time"] for f in good["frame_scores"]] == [0.0, 1.0, 2.0]
    assert good["clipsim"] > bad["clipsim"]
    mean = sum(f["cosine"] for f in good["frame_scores"]) / 3
    assert good["clipsim"] == pytest.approx(mean, abs=1e-5)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("../outside.mp4", 400, "bad_path"),
        ("missing.mp4", 404, "path_not_found"),
        ("folder", 400, "bad_path"),
        ("notes.mp4", 422, "decode_failed"),
    ],
)
def test_refusals(setup, path, status, code):
    client, _, _ = setup
    answer = client.post("/score", json={"path": path, "prompt": "a red circle"})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def test_an_absolute_path_outside_the_roots_is_refused(setup):
    client, _, outside = setup
    answer = client.post("/score", json={"path": str(outside), "prompt": "a star"})
    assert answer.status_code == 403, answer.text


def test_without_media_roots_scoring_is_off():
    config = server_config(built_library(DEMO_MODEL), preload_model=False)
    with live_server(config) as server, server.client() as client:
        answer = client.post("/score", json={"path": "/etc/passwd", "prompt": "x"})
    assert answer.status_code == 403 and "--media-root" in answer.text
