"""The app factory: wires state, routes, middleware and error handlers together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from vidseek.api import (
    routes_duplicates,
    routes_jobs,
    routes_media,
    routes_models,
    routes_score,
    routes_search,
    routes_system,
    routes_videos,
)
from vidseek.api.auth import ApiKeyMiddleware
from vidseek.api.config import ServerConfig
from vidseek.api.connections import InFlightLimitMiddleware
from vidseek.api.errors import install_error_handlers
from vidseek.api.headers import SecurityHeadersMiddleware
from vidseek.api.jobs import JobManager
from vidseek.api.limits import BodyLimitMiddleware
from vidseek.api.metrics import MetricsMiddleware, RequestMetrics
from vidseek.api.paths import files_to_index
from vidseek.api.routes_system import STATIC
from vidseek.api.schemas import ErrorResponse
from vidseek.api.search_service import ResultCache
from vidseek.api.segment_lookup import SegmentLookup
from vidseek.api.services import Services
from vidseek.api.state import ServerState
from vidseek.api.thumbnails import ThumbnailCache
from vidseek.core.catalog.job_log import JobLog
from vidseek.core.library import Library
from vidseek.indexer.frames import Decoder
from vidseek.indexer.options import EvidenceOptions
from vidseek.indexer.pipeline import IndexOptions

log = logging.getLogger("vidseek.server")
UNAUTHORIZED: dict[int | str, dict] = {
    401: {"model": ErrorResponse, "description": "API key missing or not valid"}
}
DESCRIPTION = (
    "Search what is seen in every moment of a video library, by text in any language or by "
    'image. Errors are JSON: `{"error": {"code": ..., "message": ...}}`. When the server '
    "has API keys, send one as `X-API-Key` or `Authorization: Bearer`."
)


def build_services(config: ServerConfig, library: Library | None = None) -> Services:
    state = ServerState(config, library)

    def open_job_library() -> Library:
        return Library.open(
            config.home,
            catalog_url=config.catalog_url,
            notify=lambda m: log.warning("%s", m),
            vector_store=config.vector_store,
        )

    def in_process_decoder() -> Decoder | None:
        if config.isolate_decoding:
            return None
        from vidseek.indexer.decode import default_decoder

        return default_decoder(fast=config.fast_decode, gpu=config.gpu_decode)

    jobs = JobManager(
        open_job_library,
        lambda paths: files_to_index(paths, config.resolved_roots),
        state.encoder,
        lambda fps: IndexOptions(
            fps=fps,
            fast_decode=config.fast_decode,
            gpu_decode=config.gpu_decode,
            evidence=EvidenceOptions(asr_model=config.asr_model),
        ),
        on_progress=state.committed,  # the next search catches up with the catalog
        decoder=in_process_decoder,
        log=JobLog(state.library.catalog.engine),
        roots=config.resolved_roots,
    )
    return Services(
        state=state,
        results=ResultCache(),
        segments=SegmentLookup(state),
        thumbnails=ThumbnailCache(config.thumbnail_cache),
        jobs=jobs,
        metrics=RequestMetrics(),
    )


def create_app(config: ServerConfig, library: Library | None = None) -> FastAPI:
    """A ready-to-serve app over ``config.home`` (or an already open ``library``)."""
    svc = build_services(config, library)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if config.preload_model:
            try:
                await run_in_threadpool(svc.state.encoder)
            except Exception as exc:  # serve anyway: searches answer 503 with the reason
                log.error("could not load the model: %s", exc)
        yield
        await run_in_threadpool(svc.jobs.shutdown)
        await run_in_threadpool(svc.thumbnails.close)
        svc.state.close()

    app = FastAPI(
        title="vidseek",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = svc
    install_error_handlers(app)
    routers = (routes_search, routes_videos, routes_media, routes_jobs, routes_score, routes_models)
    for module in (*routers, routes_duplicates):
        app.include_router(module.router, responses=UNAUTHORIZED)
    app.include_router(routes_system.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Middleware: the last added runs first. The key is checked before any body is read.
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=config.max_body_bytes,
        upload_paths={"/search/image": config.max_upload_bytes},
    )
    app.add_middleware(ApiKeyMiddleware, keys=config.api_keys)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "DELETE", "HEAD"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Accept-Ranges", "Content-Length"],
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(InFlightLimitMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=svc.metrics)
    return app
