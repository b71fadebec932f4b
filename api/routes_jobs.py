"""``POST /index`` starts a background index job; ``GET /jobs/{id}`` reports its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from vidseek.api.errors import ApiError
from vidseek.api.jobs import QueueFull
from vidseek.api.paths import check_index_path
from vidseek.api.schemas import ErrorResponse, IndexRequest, Job, JobList
from vidseek.api.services import Services, services
from vidseek.indexer.evidence import parse_kinds

router = APIRouter(tags=["index"])
JobId = Annotated[str, Path(max_length=64, description="Opaque job id.")]
NOT_FOUND = {404: {"model": ErrorResponse, "description": "No such job"}}


@router.post(
    "/index",
    status_code=202,
    response_model=Job,
    responses={
        400: {"model": ErrorResponse, "description": "Malformed path (e.g. '..')"},
        403: {"model": ErrorResponse, "description": "Outside the media roots, or disabled"},
        404: {"model": ErrorResponse, "description": "Path does not exist inside the roots"},
        409: {"model": ErrorResponse, "description": "Library built with another model"},
        413: {"model": ErrorResponse, "description": "Body too large"},
        422: {"model": ErrorResponse, "description": "Invalid body"},
        429: {"model": ErrorResponse, "description": "Too many jobs waiting"},
    },
)
def start_index(body: IndexRequest, svc: Annotated[Services, Depends(services)]) -> Job:
    """Index files/folders inside the configured media roots in the background.

    Searches keep being served while the job runs, and its videos become searchable as each
    file is committed. Poll ``GET /jobs/{id}`` for progress.
    """
    roots = svc.state.config.resolved_roots
    paths = list(dict.fromkeys(check_index_path(p, roots) for p in body.paths))
    svc.state.searcher()  # the library refuses another model: ModelMismatch → 409, before any work
    try:
        evidence = None if body.evidence is None else parse_kinds(",".join(body.evidence))
        job = svc.jobs.submit(paths, body.fps, evidence)
    except QueueFull as exc:
        raise ApiError(429, str(exc), "too_many_jobs", headers={"Retry-After": "30"}) from exc
    return job.to_model()


@router.get("/jobs", response_model=JobList)
def list_jobs(svc: Annotated[Services, Depends(services)]) -> JobList:
    """Recent jobs, oldest first (kept in the catalog across restarts)."""
    return JobList(jobs=svc.jobs.reports())


@router.get("/jobs/{job_id}", response_model=Job, responses=NOT_FOUND)
def get_job(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> Job:
    """Status, files total/done/failed, frames, elapsed and estimated time left."""
    job = svc.jobs.report(job_id)
    if job is None:
        raise ApiError(404, f"no job with id {job_id!r}", "job_not_found")
    return job


@router.post("/jobs/{job_id}/cancel", response_model=Job, responses=NOT_FOUND)
def cancel_job(job_id: JobId, svc: Annotated[Services, Depends(services)]) -> Job:
    """Stop a job after the file it is working on (committed files stay indexed)."""
    job = svc.jobs.cancel(job_id)
    if job is None:
        raise ApiError(404, f"no job with id {job_id!r}", "job_not_found")
    return job.to_model()
