"""Optional API keys: ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``.

When keys are configured every endpoint except ``/health`` and the web page's own files needs
one. ``<video>`` and ``<img>`` cannot send headers, so GET/HEAD of the two media endpoints also
accept the ``vidseek_key`` cookie the page sets (SameSite=Strict; never for writes).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from http.cookies import SimpleCookie
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from vidseek.api.errors import error_response

COOKIE = "vidseek_key"
OPEN_PATHS = frozenset({"/health", "/", "/favicon.ico"})
OPEN_PREFIXES = ("/static/",)
_MEDIA = re.compile(r"^/(videos/\d+/stream|segments/\d+/thumbnail)$")


def key_matches(candidate: str | bytes, keys: Sequence[bytes]) -> bool:
    """Constant-time comparison against every key (no early exit on the first match)."""
    given = candidate if isinstance(candidate, bytes) else candidate.encode("utf-8", "replace")
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key)
    return found


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def presented_key(scope: Scope) -> bytes | None:
    """The raw bytes of the key the request carries (header, or cookie for media reads)."""
    headers = _headers(scope)
    if headers.get("x-api-key", "").strip():  # an empty header never hides a Bearer token
        return headers["x-api-key"].strip().encode("latin-1")
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip().encode("latin-1")
    if scope["method"] in ("GET", "HEAD") and _MEDIA.match(scope["path"]):
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # malformed cookie header: no key
            return None
        morsel = cookie.get(COOKIE)
        if morsel is not None and morsel.value:
            return unquote_to_bytes(morsel.value)  # the page stores encodeURIComponent(key)
    return None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: Sequence[str]) -> None:
        self.app = app
        self.keys = [k.encode("utf-8") for k in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or _is_open(scope):
            await self.app(scope, receive, send)
            return
        key = presented_key(scope)
        if key is None:
            message = (
                "an API key is required: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'"
            )
        elif not key_matches(key, self.keys):
            message = "the API key is not valid"
        else:
            await self.app(scope, receive, send)
            return
        response = error_response(401, message, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)


def _is_open(scope: Scope) -> bool:
    path = scope["path"]
    if scope["method"] == "OPTIONS":  # CORS preflight carries no credentials
        return True
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)
