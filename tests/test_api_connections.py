"""Idle and half-sent connections neither starve the server nor stay open forever."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from tests.api_server import built_library, free_socket, server_config
from vidseek.api import create_app
from vidseek.api.connections import uvicorn_options

HEADER_TIMEOUT = 2.0


@contextmanager
def served(config) -> Iterator[int]:
    sock = free_socket()
    options = {**uvicorn_options(header_timeout=HEADER_TIMEOUT), "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(create_app(config), **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_300_idle_and_half_sent_connections_leave_health_answering(tmp_path):
    with served(server_config(built_library())) as port:
        attackers = []
        for i in range(300):
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            if i % 2:
                conn.sendall(b"GET /videos HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
            attackers.append(conn)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
                began = time.monotonic()
                health = client.get("/health", timeout=5)
                assert health.status_code == 200
                assert time.monotonic() - began < 1.0
                assert client.get("/videos", timeout=5).status_code == 200
            # after the header deadline the server has hung up on every one of them
            time.sleep(HEADER_TIMEOUT + 1.0)
            for conn in attackers:
                conn.settimeout(5)
                assert conn.recv(1024) == b""
        finally:
            for conn in attackers:
                conn.close()


def test_headers_that_arrive_in_pieces_within_the_deadline_are_answered(tmp_path):
    with served(server_config(built_library())) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            for piece in (b"GET /health HTTP/1.1\r\n", b"Host: x\r\n", b"Accept: */*\r\n\r\n"):
                conn.sendall(piece)
                time.sleep(HEADER_TIMEOUT / 4)
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
