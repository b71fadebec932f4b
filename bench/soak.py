"""Load and abuse soak of a real ``vidseek serve`` on loopback, while an index job runs.

Clients mix text searches, image searches, thumbnails, Range streams, video lists and job
polls. At the same time: hundreds of idle and half-sent connections, random HTTP method
names, large image uploads and a flood of index jobs. Every loop is bounded in count and time
and only 127.0.0.1 is contacted. Reports p50/p99 per route, status counts, the server's peak
RSS, /health latency, and whether ``vidseek check`` is clean afterwards.

    python -m bench.soak                      # 50 clients, 60 s
    python -m bench.soak --clients 8 --seconds 8 --json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from vidseek.demo.render import generate_library

QUERIES = ("a red circle", "ein blauer Stern", "un triangle vert", "黄色的正方形", "a white square")
IDLE_CONNECTIONS = 300
MAX_REQUESTS_PER_CLIENT = 100_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vidseek(*args: str) -> list[str]:
    return [sys.executable, "-m", "vidseek.cli.main", *args]


def prepare(work: Path, n_videos: int, n_job_videos: int) -> tuple[Path, Path, Path]:
    """A demo library (indexed) and a media root holding videos for the index job."""
    library, media = work / "library", work / "media"
    videos = generate_library(media / "indexed", n_videos, seed=11)
    generate_library(media / "job", n_job_videos, seed=12, duration=(20.0, 30.0))
    for p in media.rglob("*.json"):
        p.unlink()
    subprocess.run(
        _vidseek("--library", str(library), "index", *map(str, videos)),
        check=True,
        capture_output=True,
    )
    key_file = work / "keys"
    key_file.write_text(secrets.token_hex(16) + "\n")
    return library, media, key_file


def _png(size: tuple[int, int], seed: int) -> bytes:
    """A compressible picture (gradients), so even a large one fits the upload limit."""
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    pixels = np.stack([(x + seed) % 256, (y * 3) % 256, ((x + y) // 4) % 256], axis=-1)
    pixels = pixels.astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[tuple[str, int]] = Counter()
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []  # the first few 5xx bodies, to say why

    def record(self, route: str, status: int, seconds: float) -> None:
        self.latency[route].append(seconds)
        self.status[(route, status)] += 1

    def table(self) -> dict[str, dict]:
        out = {}
        for route, values in sorted(self.latency.items()):
            arr = np.array(values)
            statuses = {s: n for (r, s), n in self.status.items() if r == route}
            out[route] = {
                "requests": len(values),
                "p50_ms": round(float(np.percentile(arr, 50)) * 1000, 1),
                "p99_ms": round(float(np.percentile(arr, 99)) * 1000, 1),
                "statuses": dict(sorted(statuses.items())),
            }
        return out


async def _timed(stats: Stats, route: str, call) -> httpx.Response | None:
    began = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        stats.errors[f"{route}: {type(exc).__name__}"] += 1
        return None
    stats.record(route, response.status_code, time.perf_counter() - began)
    if response.status_code >= 500 and len(stats.samples) < 5:
        stats.samples.append(f"{route} {response.status_code}: {response.text[:300]}")
    return response


async def client_loop(client: httpx.AsyncClient, stats: Stats, ctx: dict, until: float, seed: int):
    rng = random.Random(seed)
    image = _png((320, 240), seed)
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= until:
            return
        kind = rng.choices(
            ["search", "image", "thumbnail", "stream", "videos", "job"], [5, 1, 3, 2, 1, 1]
        )[0]
        if kind == "search":
            q = rng.choice(QUERIES)
            await _timed(stats, "GET /search", client.get("/search", params={"q": q, "k": 10}))
        elif kind == "image":
            files = {"image": ("q.png", image, "image/png")}
            await _timed(stats, "POST /search/image", client.post("/search/image", files=files))
        elif kind == "thumbnail" and ctx["thumbnails"]:
            url = rng.choice(ctx["thumbnails"])
            await _timed(stats, "GET /segments/{id}/thumbnail", client.get(url))
        elif kind == "stream" and ctx["streams"]:
            first = rng.randrange(0, 50_000)
            headers = {"Range": f"bytes={first}-{first + 65_535}"}
            url = rng.choice(ctx["streams"])
            await _timed(stats, "GET /videos/{id}/stream", client.get(url, headers=headers))
        elif kind == "videos":
            await _timed(stats, "GET /videos", client.get("/videos"))
        elif kind == "job" and ctx["job"]:
            await _timed(stats, "GET /jobs/{id}", client.get(f"/jobs/{ctx['job']}"))


async def health_probe(base: str, stats: Stats, until: float) -> None:
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as client:
        while time.monotonic() < until:
            await _timed(stats, "GET /health (probe)", client.get("/health"))
            await asyncio.sleep(0.2)


async def idle_connections(port: int, until: float) -> None:
    """Finding 3: connections that never finish their headers (half of them send a part)."""
    writers = []
    for i in range(IDLE_CONNECTIONS):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            break
        if i % 2:
            writer.write(b"GET /videos HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        writers.append(writer)
    while time.monotonic() < until:  # reopen what the server closed, until the end
        await asyncio.sleep(1.0)
        for i, writer in enumerate(writers):
            if writer.is_closing() or writer.transport.is_closing():
                try:
                    _, writers[i] = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    pass
    for writer in writers:
        writer.close()


async def abuse(client: httpx.AsyncClient, stats: Stats, media: Path, until: float) -> None:
    """Findings 4-6: random method names, large images, a flood of index jobs."""
    rng = random.Random(7)
    big = _png((4000, 3900), 1)  # just under the pixel cap
    for _ in range(10_000):
        if time.monotonic() >= until:
            return
        roll = rng.random()
        if roll < 0.5:
            method = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
            await _timed(stats, "abuse: random method", client.request(method, "/search"))
        elif roll < 0.8:
            files = {"image": ("big.png", big, "image/png")}
            await _timed(stats, "abuse: 15 MP image", client.post("/search/image", files=files))
        else:
            body = {"paths": ["indexed"]}
            await _timed(stats, "abuse: job flood", client.post("/index", json=body))
        await asyncio.sleep(0.05)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(base: str, port: int, key: str, media: Path, clients: int, seconds: float):
    stats, probes = Stats(), Stats()
    headers = {"X-API-Key": key}
    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, trust_env=False, timeout=30, limits=limits
    ) as client:
        videos = (await client.get("/videos")).json()["videos"]
        thumbnails: list[str] = []
        for video in videos:
            detail = (await client.get(f"/videos/{video['id']}")).json()
            thumbnails += [s["thumbnail_url"] for s in detail["segments"]]
        job = (await client.post("/index", json={"paths": ["job"]})).json()
        ctx = {
            "streams": [v["stream_url"] for v in videos],
            "thumbnails": thumbnails,
            "job": job.get("id"),
        }
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(client_loop(client, stats, ctx, until, i) for i in range(clients)),
            health_probe(base, probes, until),
            idle_connections(port, until),
            abuse(client, stats, media, until),
        )
        final_job = (await client.get(f"/jobs/{ctx['job']}")).json() if ctx["job"] else {}
    return stats, probes, final_job


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--videos", type=int, default=6, help="videos in the served library")
    parser.add_argument("--job-videos", type=int, default=4, help="videos the index job adds")
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="vidseek-soak-"))
    try:
        library, media, key_file = prepare(work, args.videos, args.job_videos)
        port = _free_port()
        server = subprocess.Popen(
            _vidseek(
                "--library", str(library), "serve", "--port", str(port),
                "--media-root", str(media), "--api-key-file", str(key_file),
                "--log-level", "warning",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2, trust_env=False)
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.3)
        try:
            stats, probes, job = asyncio.run(
                run(base, port, key_file.read_text().strip(), media, args.clients, args.seconds)
            )
            peak = _peak_rss_mb(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        check = subprocess.run(
            _vidseek("--library", str(library), "check", "--json"), capture_output=True, text=True
        )
        routes = stats.table()
        health = probes.table().get("GET /health (probe)", {})
        fivexx = sum(n for (_, s), n in {**stats.status, **probes.status}.items() if s >= 500)
        report = {
            "clients": args.clients,
            "seconds": args.seconds,
            "routes": routes,
            "health": health,
            "client_errors": dict(stats.errors + probes.errors),
            "responses_5xx": fivexx,
            "samples_5xx": stats.samples + probes.samples,
            "server_peak_rss_mb": round(peak, 1),
            "check_clean": check.returncode == 0,
            "check": json.loads(check.stdout) if check.stdout.strip().startswith("{") else None,
            "job": {k: job.get(k) for k in ("state", "files_total", "files_indexed", "error")},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        from bench.common import print_machine

        print_machine(f"clients={args.clients} seconds={args.seconds}")
        print(f"{'route':34} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
        for route, row in {**routes, "GET /health (probe)": health}.items():
            print(
                f"{route:34} {row.get('requests', 0):>8} {row.get('p50_ms', 0):>8} "
                f"{row.get('p99_ms', 0):>8}  {row.get('statuses')}"
            )
        print(f"\n5xx responses: {fivexx}   client-side errors: {report['client_errors']}")
        for sample in report["samples_5xx"]:
            print(f"  {sample}")
        print(f"server peak RSS: {report['server_peak_rss_mb']} MB")
        print(f"check clean: {report['check_clean']}")
        print(f"index job: {report['job']}")
    return report


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
