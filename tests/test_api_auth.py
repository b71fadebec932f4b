"""Optional API keys: off by default; when set, every endpoint but /health needs one."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api_server import built_library, live_server, server_config
from vidseek.api.auth import key_matches
from vidseek.api.config import load_api_keys

KEYS = ("first-key-0123456789", "second-key-ÄÖÜ-9876")


@pytest.fixture(scope="module")
def server():
    with live_server(server_config(built_library(), api_keys=KEYS)) as server:
        yield server


@pytest.fixture(scope="module")
def client(server):
    with server.client() as client:
        yield client


@pytest.fixture(scope="module")
def media(client):
    headers = {"X-API-Key": KEYS[0]}
    video = client.get("/videos", headers=headers).json()["videos"][0]
    segment = client.get(f"/videos/{video['id']}", headers=headers).json()["segments"][0]
    return video["stream_url"], segment["thumbnail_url"]


PROTECTED = [
    ("GET", "/search?q=circle"),
    ("POST", "/search"),
    ("GET", "/videos"),
    ("GET", "/videos/1"),
    ("DELETE", "/videos/1"),
    ("GET", "/videos/1/stream"),
    ("GET", "/segments/1/thumbnail"),
    ("POST", "/index"),
    ("GET", "/jobs"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/no/such/endpoint"),
]


@pytest.mark.parametrize("method,path", PROTECTED)
def test_requests_without_a_key_are_401(client, method, path):
    response = client.request(method, path, json={"q": "x"} if method == "POST" else None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "X-API-Key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "wrong"},
        {"X-API-Key": KEYS[0] + "x"},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Basic {KEYS[0]}"},
        {"X-API-Key": ""},
    ],
)
def test_wrong_keys_are_401(client, headers):
    response = client.get("/videos", headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": KEYS[0]},
        {"X-API-Key": KEYS[1].encode("utf-8")},
        {"Authorization": f"Bearer {KEYS[0]}"},
        {"authorization": b"bearer " + KEYS[1].encode("utf-8")},
    ],
)
def test_valid_keys_pass(client, headers):
    assert client.get("/videos", headers=headers).status_code == 200
    assert client.get("/search", params={"q": "a circle"}, headers=headers).status_code == 200


def test_health_and_page_need_no_key(client):
    assert client.get("/health").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "vidseek" in page.text
    assert client.get("/static/app.js").status_code == 200


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"vidseek_key={value}"}


def test_cookie_only_unlocks_media_reads(client, media):
    stream, thumbnail = media
    good = _cookie(KEYS[0])
    assert client.get(stream, headers=good).status_code == 200
    assert client.get(thumbnail, headers=good).status_code == 200
    assert client.get(stream, headers=_cookie("bad")).status_code == 401
    quoted = _cookie(quote(KEYS[1], safe=""))  # as the page's encodeURIComponent
    assert client.get(thumbnail, headers=quoted).status_code == 200
    assert client.get("/videos", headers=good).status_code == 401
    assert client.post("/search", json={"q": "x"}, headers=good).status_code == 401
    assert client.delete("/videos/1", headers=good).status_code == 401


def test_no_keys_means_open(tmp_path):
    with live_server(server_config(built_library())) as server, server.client() as client:
        assert client.get("/videos").status_code == 200
        assert client.get("/metrics").status_code == 200


def test_key_loading_and_comparison(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text("# comment\nalpha\n\n  beta  \nalpha\n", encoding="utf-8")
    assert load_api_keys(key_file, env="gamma, ,delta") == ("alpha", "beta", "gamma", "delta")
    assert load_api_keys(None, env="") == ()
    keys = [b"alpha", b"beta"]
    assert key_matches("beta", keys) and not key_matches("bet", keys)
    assert not key_matches("", keys)


def test_an_empty_api_key_header_does_not_hide_a_bearer_token(client):
    headers = {"X-API-Key": "", "Authorization": f"Bearer {KEYS[0]}"}
    assert client.get("/videos", headers=headers).status_code == 200


def test_the_key_is_checked_before_the_body_is_read(server):
    """A keyless client announcing 10 MB gets 401 at once; nothing waits for the body."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(server.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(
            b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000\r\n\r\n" + b"{" * 1000
        )
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
