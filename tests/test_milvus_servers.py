"""Many servers, one library: two servers share one PostgreSQL catalog and one Milvus store
(``milvus-lite server``, reached by URI like a cluster: the remote-client path) and no library
folder. A video indexed through one is searchable through the other within seconds; deleting
it through one removes it from the other."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api_server import (
    RANDOM_MODEL,
    built_library,
    free_socket,
    live_server,
    server_config,
    wait_for_job,
)
from tests.conftest import skip_or_fail_in_ci
from tests.pg_server import fresh_database

try:
    import milvus_lite  # noqa: F401
    import pymilvus  # noqa: F401
except ImportError:
    skip_or_fail_in_ci("pymilvus and milvus-lite are not installed (the milvus extra)")

SEEN_WITHIN_S = 5.0


@pytest.fixture
def milvus_uri(tmp_path: Path):
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus")]
        + ["--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("milvus-lite server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def results(client, query: str = "a circle") -> set[int]:
    hits = client.get("/search", params={"q": query, "k": 100}).json()["results"]
    return {r["video_id"] for r in hits}


def until(condition, timeout: float) -> float | None:
    """Seconds until ``condition()`` held, None if it did not within ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def test_two_servers_share_one_catalog_and_one_milvus_store(tmp_path, milvus_uri, monkeypatch):
    catalog = fresh_database()
    monkeypatch.delenv("VIDSEEK_VECTOR_STORE", raising=False)
    shared = {"catalog_url": catalog, "model_spec": RANDOM_MODEL}
    shared["vector_store"] = f"milvus:{milvus_uri}#shared"
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(built_library(n_videos=1, seed=99).videos[0], media / "clip.mp4")
    base = built_library()  # only for its model and settings: the homes below start empty
    a = server_config(base, home=tmp_path / "a", media_roots=(media,), **shared)
    b = server_config(base, home=tmp_path / "b", **shared)
    with live_server(a) as sa, live_server(b) as sb, sa.client() as ca, sb.client() as cb:
        assert results(cb) == set()
        job = wait_for_job(ca, ca.post("/index", json={"paths": ["clip.mp4"]}).json()["id"])
        assert job["state"] == "succeeded", job
        (video,) = ca.get("/videos").json()["videos"]
        seen = until(lambda: video["id"] in results(cb), SEEN_WITHIN_S)
        assert seen is not None, "indexed through A, never searchable through B"
        assert ca.delete(f"/videos/{video['id']}").status_code == 200
        gone = until(lambda: video["id"] not in results(cb), SEEN_WITHIN_S)
        assert gone is not None, "deleted through A, still found through B"
    assert not list(tmp_path.glob("*/catalog.sqlite")) + list(tmp_path.glob("*/index/*.faiss"))
