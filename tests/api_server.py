"""Test helpers for the HTTP API: a small generated library, and a live uvicorn server.

The library (a few short 160x120 videos indexed with ``vidseek-demo:random`` by default, or
with the bundled trained demo model: ``built_library(DEMO_MODEL)``) is built once per test
session and copied for tests that change it.
The server runs in a thread on a free 127.0.0.1 port and is always stopped.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import uvicorn

from vidseek.api import ServerConfig, create_app

RANDOM_MODEL = "vidseek-demo:random"
DEMO_MODEL = "vidseek-demo"
_ROOT = Path(tempfile.mkdtemp(prefix="vidseek-api-tests-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)


@dataclass(frozen=True)
class BuiltLibrary:
    home: Path
    videos_dir: Path
    videos: tuple[Path, ...]
    model: str

    def truth(self, video: Path) -> dict:
        return json.loads(Path(f"{video}.json").read_text(encoding="utf-8"))

    def copy(self, dest: Path) -> BuiltLibrary:
        """A private copy of the library folder (the videos stay shared and read-only)."""
        shutil.copytree(self.home, dest)
        return replace(self, home=dest)


def built_library(model: str = RANDOM_MODEL, n_videos: int = 3, seed: int = 7) -> BuiltLibrary:
    """Generate ``n_videos`` short videos and index them with ``model`` (once per session).

    The default is random weights (fast, for mechanics); tests that check relevance pass
    ``DEMO_MODEL``, which must load (its weights are bundled) or the test fails."""
    return _build(model, n_videos, seed)


@functools.cache
def _build(model: str, n_videos: int, seed: int) -> BuiltLibrary:
    from vidseek.core.library import Library
    from vidseek.core.models import load_encoder
    from vidseek.demo.render import generate_library
    from vidseek.indexer.decode import default_decoder
    from vidseek.indexer.pipeline import index_paths

    base = _ROOT / f"{model.replace(':', '_')}-{n_videos}-{seed}"
    videos_dir = base / "media" / "videos"
    videos = generate_library(
        videos_dir, n_videos, seed=seed, duration=(8.0, 12.0), size=(160, 120), fps=10.0
    )
    home = base / "library"
    with Library.open(home) as library:
        report = index_paths(library, load_encoder(model), videos, decoder=default_decoder())
    assert len(report.of("indexed")) == n_videos, report.outcomes
    return BuiltLibrary(home, videos_dir, tuple(videos), model)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class LiveServer:
    base_url: str
    config: ServerConfig
    app: object

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30.0, trust_env=False, **kwargs)


@contextmanager
def live_server(config: ServerConfig, startup_timeout: float = 60.0) -> Iterator[LiveServer]:
    """Run the app with uvicorn on a free loopback port in a thread; stop it on exit."""
    app = create_app(config)
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", config, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def server_config(library: BuiltLibrary, **overrides) -> ServerConfig:
    """Defaults for tests: the library's model, decoding in-process (fast), no keys."""
    settings = {"home": library.home, "model_spec": library.model, "isolate_decoding": False}
    settings.update(overrides)
    return ServerConfig(**settings)


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['state']} after {timeout}s: {job}")
        time.sleep(0.1)


def decoders_of_one_job(tmp_path: Path, **overrides) -> list[str]:
    """Serve a fresh library with ``overrides``, index one video through ``POST /index``
    (which must succeed) and return the decoder each indexed video records."""
    library = built_library()
    root = tmp_path / "media"
    root.mkdir()
    shutil.copy(library.videos[0], root / "a.mp4")
    config = server_config(library, home=tmp_path / "library", media_roots=(root,), **overrides)
    with live_server(config) as server, server.client() as client:
        job = wait_for_job(client, client.post("/index", json={"paths": ["."]}).json()["id"])
        assert job["state"] == "succeeded" and job["files_indexed"] == 1, job
        return [v["backend"] for v in client.get("/videos").json()["videos"]]
