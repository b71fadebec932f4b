"""Bad input and escape attempts: clear 4xx JSON errors, never a 500, never a file outside."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.api_server import built_library, live_server, server_config, wait_for_job


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """media/ (the root) with one video and escape links; outside/ and media-evil/ beside it."""
    library = built_library()
    base = tmp_path_factory.mktemp("security")
    root, outside, evil = base / "media", base / "outside", base / "media-evil"
    for folder in (root / "inbox", outside, evil):
        folder.mkdir(parents=True)
    shutil.copy(library.videos[0], root / "inbox" / "inside.mp4")
    shutil.copy(library.videos[1], outside / "secret.mp4")
    shutil.copy(library.videos[2], evil / "evil.mp4")
    os.symlink(outside, root / "link-to-outside")  # folder symlink out of the root
    os.symlink(outside / "secret.mp4", root / "inbox" / "linked-secret.mp4")  # file symlink out
    os.symlink(root / "inbox" / "inside.mp4", root / "inbox" / "alias.mp4")  # stays inside
    return {"base": base, "root": root, "outside": outside, "evil": evil, "library": library}


@pytest.fixture(scope="module")
def client(layout):
    home = layout["base"] / "library"
    config = server_config(layout["library"], home=home, media_roots=(layout["root"],))
    with live_server(config) as server, server.client() as client:
        yield client


def _index(client, *paths):
    return client.post("/index", json={"paths": list(paths)})


@pytest.mark.parametrize(
    "path", ["../outside", "inbox/../../outside", "inbox/../inbox/inside.mp4", "..", "a/.."]
)
def test_dot_dot_is_refused(client, path):
    response = _index(client, path)
    assert response.status_code == 400
    assert "'..'" in response.json()["error"]["message"]


def test_absolute_paths_outside_the_roots_are_forbidden(client, layout):
    for path in ("/etc", "/etc/passwd", str(layout["outside"] / "secret.mp4"), str(layout["evil"])):
        response = _index(client, path)
        assert response.status_code == 403, path
        error = response.json()["error"]
        assert error["code"] == "outside_media_roots"
        assert "outside the media roots" in error["message"]


def test_symlink_out_of_the_root_is_forbidden(client, layout):
    for path in ("link-to-outside", str(layout["root"] / "link-to-outside" / "secret.mp4")):
        response = _index(client, path)
        assert response.status_code == 403, path


def test_missing_and_malformed_paths(client):
    assert _index(client, "no-such-file.mp4").status_code == 404
    assert _index(client, "bad\x00name").status_code == 422  # the schema says: no NUL
    assert _index(client, "").status_code == 422  # the schema says: at least one character
    assert client.post("/index", json={"paths": []}).status_code == 422
    assert client.post("/index", json={"paths": "inbox"}).status_code == 422
    assert client.post("/index", json={"paths": ["inbox"], "extra": 1}).status_code == 422


def test_folder_job_skips_files_that_link_out_of_the_root(client, layout):
    response = _index(client, "inbox")
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["state"] == "succeeded", job
    refused = [f for f in job["failures"] if f["status"] == "refused"]
    assert [f["path"] for f in refused] == [str(layout["root"] / "inbox" / "linked-secret.mp4")]
    videos = client.get("/videos").json()["videos"]
    assert videos and all(str(layout["outside"]) not in v["path"] for v in videos)
    assert all(v["path"].startswith(str(layout["root"])) for v in videos)


def test_indexing_is_disabled_without_media_roots(tmp_path):
    config = server_config(built_library(), home=tmp_path / "lib")
    with live_server(config) as server, server.client() as client:
        response = _index(client, "/tmp")
        assert response.status_code == 403
        assert "--media-root" in response.json()["error"]["message"]


def test_large_bodies_are_413(client):
    big = {"q": "x" * (2 * 2**20)}
    response = client.post("/search", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    upload = {"image": ("big.png", b"\0" * (11 * 2**20), "image/png")}
    assert client.post("/search/image", files=upload).status_code == 413

    def chunks():  # no Content-Length: the limit still holds
        for _ in range(40):
            yield b"x" * 65536

    json_type = {"Content-Type": "application/json"}
    streamed = client.post("/search", content=chunks(), headers=json_type)
    assert streamed.status_code == 413
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    "body,content_type",
    [(b"{not json", "application/json"), (b"[]", "application/json"), (b"q=x", "text/plain")],
)
def test_malformed_bodies_are_422(client, body, content_type):
    response = client.post("/search", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_unknown_routes_and_methods_are_json(client):
    missing = client.get("/etc/passwd")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.put("/search")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    traversal = client.get("/static/../../../../etc/passwd")
    assert traversal.status_code == 404
    assert client.get("/static/%2e%2e/%2e%2e/server/app.py").status_code == 404


def test_security_headers_and_no_cors_by_default(client):
    response = client.get("/", headers={"Origin": "https://evil.example"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "access-control-allow-origin" not in response.headers


def test_cors_when_configured(tmp_path):
    config = server_config(built_library(), cors_origins=("https://app.example",))
    with live_server(config) as server, server.client() as client:
        ok = client.get("/health", headers={"Origin": "https://app.example"})
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/search",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200


def test_unloadable_model_is_503_not_500(tmp_path):
    config = server_config(built_library(), model_spec="no-such-model-anywhere")
    with live_server(config) as server, server.client() as client:
        response = client.get("/search", params={"q": "a star"})
        assert response.status_code == 503
        assert "no-such-model-anywhere" in response.json()["error"]["message"]
        assert client.get("/health").status_code == 200


def test_model_mismatch_is_409(monkeypatch, tmp_path):
    import dataclasses

    import vidseek.core.models
    from tests.api_server import RANDOM_MODEL
    from vidseek.core.models import text_encoder

    real = vidseek.core.models.load_encoder(RANDOM_MODEL)

    class Other:
        identity = dataclasses.replace(real.identity, pretrained="something-else")
        batch_size = real.batch_size
        encode_images = real.encode_images
        encode_texts = real.encode_texts

    monkeypatch.setattr(vidseek.core.models, "load_encoder", lambda spec, **_: Other())
    monkeypatch.setattr(text_encoder, "load_text_encoder", lambda spec, **_: Other())
    root = built_library().videos_dir
    with live_server(server_config(built_library(), media_roots=(root,))) as server:
        with server.client() as client:
            response = client.get("/search", params={"q": "a star"})
            assert response.status_code == 409
            assert response.json()["error"]["code"] == "model_mismatch"
            assert client.post("/index", json={"paths": ["."]}).status_code == 409


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "video_ids": str(2**70)},
        {"q": "x", "video_ids": "-5"},
        {"q": "x", "min_score": "nan"},
        {"q": "x", "k": "1e3"},
        {"q": "x", "path_prefix": ""},
    ],
)
def test_hostile_search_parameters_are_422(client, params):
    response = client.get("/search", params=params)
    assert response.status_code == 422, response.text


def test_odd_but_valid_queries_are_answered(client):
    for params in ({"q": "\x00\x01"}, {"q": "x", "offset": 99999}, {"q": "x", "path_prefix": "\0"}):
        response = client.get("/search", params=params)
        assert response.status_code == 200, response.text
    huge = client.post("/search", json={"q": "x", "video_ids": [2**70]})
    assert huge.status_code == 422
    json_type = {"content-type": "application/json"}
    nan = client.post("/search", content=b'{"q": "x", "min_score": NaN}', headers=json_type)
    assert nan.status_code == 422


def test_outside_the_roots_is_one_answer_whether_or_not_the_path_exists(client, layout):
    answers = [_index(client, p) for p in ("/etc/shadow", "/no/such/path", "/etc")]
    assert {r.status_code for r in answers} == {403}
    assert (
        len(
            {
                r.json()["error"]["message"].replace(p, "")
                for r, p in zip(answers, ("/etc/shadow", "/no/such/path", "/etc"), strict=True)
            }
        )
        == 1
    )
    for response in answers:
        assert str(layout["root"]) not in response.text


def test_a_missing_path_inside_the_roots_is_404(client):
    assert _index(client, "inbox/missing.mp4").status_code == 404


def test_a_fifo_is_refused_before_any_job_is_queued(client, layout):
    fifo = layout["root"] / "pipe.mp4"
    os.mkfifo(fifo)
    try:
        response = _index(client, "pipe.mp4")
        assert response.status_code == 400
        assert "regular file" in response.json()["error"]["message"]
    finally:
        fifo.unlink()
