"""Prometheus text exposition, written by hand: request latency histogram, library, jobs."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
    return "{" + inner + "}" if inner else ""


class RequestMetrics:
    """Latency histogram per (method, route template) and request counts per status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sum: dict[tuple[str, str], float] = defaultdict(float)
        self._count: dict[tuple[str, str], int] = defaultdict(int)
        self._status: dict[tuple[str, str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            buckets = self._buckets[key]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._sum[key] += seconds
            self._count[key] += 1
            self._status[(method, route, str(status))] += 1

    def render(self) -> list[str]:
        name = "vidseek_http_request_duration_seconds"
        lines = [
            f"# HELP {name} Time to answer an HTTP request (until the response starts).",
            f"# TYPE {name} histogram",
        ]
        with self._lock:
            for (method, route), buckets in sorted(self._buckets.items()):
                for bound, count in zip(BUCKETS, buckets, strict=True):
                    labels = _labels(method=method, route=route, le=repr(bound))
                    lines.append(f"{name}_bucket{labels} {count}")
                count = self._count[(method, route)]
                labels = _labels(method=method, route=route, le="+Inf")
                lines.append(f"{name}_bucket{labels} {count}")
                base = _labels(method=method, route=route)
                lines.append(f"{name}_sum{base} {self._sum[(method, route)]:.6f}")
                lines.append(f"{name}_count{base} {count}")
            total = "vidseek_http_requests_total"
            lines += [f"# HELP {total} HTTP requests answered.", f"# TYPE {total} counter"]
            for (method, route, status), count in sorted(self._status.items()):
                lines.append(f"{total}{_labels(method=method, route=route, status=status)} {count}")
        return lines


def gauge(
    name: str, help_text: str, values: dict[str, float] | float, label: str = ""
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    if isinstance(values, dict):
        for key, value in sorted(values.items()):
            lines.append(f"{name}{_labels(**{label: key})} {value:g}")
    else:
        lines.append(f"{name} {values:g}")
    return lines


class MetricsMiddleware:
    """Times every HTTP request and records it under its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500
        observed = False

        async def send_timed(message: Message) -> None:
            nonlocal status, observed
            if message["type"] == "http.response.start":
                status = message["status"]
                if not observed:
                    observed = True
                    self.metrics.observe(
                        _method(scope), _route(scope), status, time.perf_counter() - began
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            if not observed:
                self.metrics.observe(
                    _method(scope), _route(scope), status, time.perf_counter() - began
                )


# Any client can send any method name; each unknown one would otherwise add ~15 series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_FIXED = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/favicon.ico"})


def _method(scope: Scope) -> str:
    method = scope.get("method", "")
    return method if method in _METHODS else "other"


def _route(scope: Scope) -> str:
    """The route template (bounded label values): never the raw path of an unknown URL."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    raw = scope.get("path", "")
    if raw in _FIXED:
        return raw
    return "/static" if raw.startswith("/static/") else "unmatched"
