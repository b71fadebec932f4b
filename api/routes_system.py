"""``GET /health``, ``GET /metrics`` (Prometheus text) and the web page at ``/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, PlainTextResponse

from vidseek.api.metrics import gauge
from vidseek.api.schemas import Health
from vidseek.api.services import Services, services

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health)
async def health(svc: Annotated[Services, Depends(services)]) -> Health:
    """Liveness and a glance at the library (never needs an API key)."""
    # On the event loop, not in the thread pool that busy searches and thumbnails can fill;
    # no library lock: the catalog answers each call on its own connection (a WAL read).
    library = svc.state.library
    videos = library.count_videos("indexed")
    model = library.model
    running = svc.jobs.counts()["running"]
    label = public_model_label(model.label) if model else None
    return Health(status="ok", videos=videos, model=label, jobs_running=running)


def public_model_label(label: str) -> str:
    """The model's label without a local path (``/health`` answers anyone): ``NAME:local``."""
    name, _, source = label.partition(":")
    return f"{name}:local" if source.startswith(("/", "~")) or "/" in name else label


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(svc: Annotated[Services, Depends(services)]) -> PlainTextResponse:
    """Request latency histogram, library size, and jobs by state, in Prometheus text format."""
    svc.state.refresh()
    with svc.state.locked() as library:
        stats = library.stats()
    lines = svc.metrics.render()
    lines += gauge(
        "vidseek_library_videos",
        "Videos in the library by status.",
        {"indexed": stats.videos, "failed": stats.failed},
        "status",
    )
    lines += gauge("vidseek_library_segments", "Searchable segments (vectors).", stats.segments)
    lines += gauge("vidseek_library_frames", "Sampled frames embedded.", stats.frames)
    lines += gauge("vidseek_index_bytes", "Size of the vector index snapshot.", stats.index_bytes)
    lines += gauge("vidseek_catalog_bytes", "Size of the catalog.", stats.catalog_bytes)
    lines += gauge("vidseek_jobs", "Index jobs by state.", svc.jobs.counts(), "state")
    lines += gauge("vidseek_thumbnail_cache_entries", "Thumbnails in memory.", len(svc.thumbnails))
    return PlainTextResponse(
        "\n".join(lines) + "\n", media_type="text/plain; version=0.0.4; charset=utf-8"
    )


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
