"""``vidseek serve`` end to end: a real process, real uvicorn, loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.api_server import RANDOM_MODEL, built_library, free_socket

LAUNCH = (
    "from vidseek.cli.main import cli\n"
    "from vidseek.api.command import serve_command\n"
    "if 'serve' not in cli.commands: cli.add_command(serve_command)\n"
    "cli(prog_name='vidseek')\n"
)


def test_serve_command_runs_the_api(tmp_path):
    library = built_library()
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    key_file = tmp_path / "keys"
    key_file.write_text("k-123\n")
    env = {**os.environ, "VIDSEEK_API_KEYS": "k-456"}
    args = [
        "--library", str(library.home), "--model", RANDOM_MODEL, "serve",
        "--port", str(port), "--media-root", str(library.videos_dir),
        "--api-key-file", str(key_file), "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "vidseek serve did not come up"
                time.sleep(0.2)
            assert client.get("/videos").status_code == 401
            for key in ("k-123", "k-456"):
                response = client.get("/search", params={"q": "a star"}, headers={"X-API-Key": key})
                assert response.status_code == 200 and response.json()["results"]
            schema = client.get("/openapi.json", headers={"X-API-Key": "k-123"}).json()
            assert "/search" in schema["paths"] and "/index" in schema["paths"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
