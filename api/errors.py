"""One JSON error shape for every failure: ``{"error": {"code": ..., "message": ...}}``, plus
``"hint"`` where the server can say how to get past a vidseek error (core messages are neutral:
the HTTP hint is added here, as the CLI adds its flag hints in ``cli/hints.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from vidseek.core.errors import (
    LibraryError,
    ModelError,
    ModelMismatch,
    QueryError,
    StorageFull,
    VideoNotFound,
    VidseekError,
)

log = logging.getLogger("vidseek.server")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
    507: "storage_full",
}


class ApiError(Exception):
    """Raise from a route to answer ``status`` with a clear, user-facing message."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _STATUS_CODES.get(status, "error")
        self.headers = headers


def error_body(
    code: str, message: str, details: Any = None, hint: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if hint is not None:
        error["hint"] = hint
    return {"error": error}


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: dict | None = None,
    hint: str | None = None,
) -> JSONResponse:
    code = code or _STATUS_CODES.get(status, "error")
    return JSONResponse(error_body(code, message, hint=hint), status_code=status, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at this request's path."""
    methods: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's include_router
        if included is not None:
            yield from _leaf_routes(included.routes)
        else:
            yield route


def vidseek_status(exc: VidseekError) -> tuple[int, str]:
    """HTTP status and error code of a deliberate vidseek error."""
    if isinstance(exc, QueryError):
        return 400, "bad_query"
    if isinstance(exc, VideoNotFound):
        return 404, "video_not_found"
    if isinstance(exc, ModelMismatch):
        return 409, "model_mismatch"
    if isinstance(exc, ModelError):
        return 503, "model_unavailable"
    if isinstance(exc, StorageFull):
        return 507, "storage_full"
    if isinstance(exc, LibraryError):
        return 503, "library_unavailable"
    return 400, "error"


def vidseek_hint(exc: VidseekError) -> str | None:
    """What an HTTP client (or the person running the server) can do about ``exc``."""
    if isinstance(exc, ModelMismatch) and exc.same_name:
        return (
            f"the library was built with other weights named {exc.library_model}: serve a "
            "library indexed again with the server's model"
        )
    if isinstance(exc, ModelMismatch) and exc.library_model and exc.requested_model:
        return (
            f"the server's model ({exc.requested_model}) is not the library's: restart the "
            f"server with {exc.library_model}, or serve a library built with "
            f"{exc.requested_model}"
        )
    if isinstance(exc, VideoNotFound):
        return "GET /videos lists the videos and their ids"
    if isinstance(exc, StorageFull):
        return "the server's disk is full; nothing committed was lost, retry once it has space"
    return None


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    details = []
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc) or "request"
        msg = str(err.get("msg", "invalid value"))
        parts.append(f"{where}: {msg}")
        details.append({"field": where, "message": msg})
    return "; ".join(parts) or "invalid request", details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(VidseekError)
    async def _vidseek_error(_: Request, exc: VidseekError) -> JSONResponse:
        status, code = vidseek_status(exc)
        message = str(exc) or code.replace("_", " ")
        return error_response(status, message, code, hint=vidseek_hint(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = _describe_validation(exc)
        return JSONResponse(error_body("invalid_request", message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Starlette names only the first route of the path
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal error: the server log has the details", "internal")
