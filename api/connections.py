"""How uvicorn runs the app so that idle or half-sent connections cannot starve it.

uvicorn's ``limit_concurrency`` counts open connections, so 256 clients that never finish
their headers made every request answer 503, and nothing ever timed those clients out.
Here a connection must finish each request's headers within ``HEADER_TIMEOUT`` seconds, and
the busy limit counts requests in flight (``InFlightLimitMiddleware``), with ``/health`` exempt.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from vidseek.api.errors import error_response

HEADER_TIMEOUT = 10.0
MAX_IN_FLIGHT = 256
EXEMPT_PATHS = frozenset({"/health"})


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing connections whose request headers are late."""

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_late(self) -> None:
        # IDLE: the current request's headers have not all arrived (a request being answered
        # has moved on to SEND_BODY or DONE).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(header_timeout: float = HEADER_TIMEOUT) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config`` / ``uvicorn.run``."""
    protocol = type(
        "HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": header_timeout}
    )
    return {
        "http": protocol,
        "limit_concurrency": None,  # busy is decided per request, not per connection
        "timeout_keep_alive": 5,
        "proxy_headers": False,
    }


class InFlightLimitMiddleware:
    """Answers 503 once ``limit`` requests are being handled; ``/health`` always gets through."""

    def __init__(self, app: ASGIApp, limit: int = MAX_IN_FLIGHT) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            response = error_response(
                503, "the server is busy; try again shortly", headers={"Retry-After": "1"}
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
