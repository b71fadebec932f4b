"""``GET /duplicates``: videos that are copies of each other, and clips two videos share."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from vidseek.api.schemas import ErrorResponse
from vidseek.api.services import Services, services
from vidseek.api.urls import stream_url
from vidseek.search.duplicate_cache import library_duplicates
from vidseek.search.duplicates import DuplicateOptions

router = APIRouter(tags=["duplicates"])
DEFAULTS = DuplicateOptions()


class CopyOut(BaseModel):
    video_id: int
    path: str
    title: str
    offset: float = Field(description="Seconds: t in this video = t in the group's first + offset.")
    stream_url: str


class CopyGroup(BaseModel):
    similarity: float = Field(description="Lowest mean cosine of aligned frames in the group.")
    videos: list[CopyOut]


class SharedMoment(BaseModel):
    video_id: int
    path: str
    title: str
    start: float
    end: float
    stream_url: str = Field(description="The video, positioned at the shared part.")


class SharedClip(BaseModel):
    similarity: float
    offset: float = Field(description="t in the second moment's video = t in the first's + offset.")
    duration: float
    moments: list[SharedMoment] = Field(min_length=2, max_length=2)


class PairOut(BaseModel):
    a: int
    b: int
    kind: Literal["copy", "clip"]
    offset: float = Field(description="t_b = t_a + offset.")
    a_start: float
    a_end: float
    b_start: float
    b_end: float
    similarity: float
    coverage_a: float
    coverage_b: float


class DuplicatesResponse(BaseModel):
    videos: int = Field(description="Videos with indexed moments.")
    candidates: int = Field(description="Pairs compared frame by frame by this request.")
    seconds: float = Field(description="Time this request spent finding them.")
    copies: list[CopyGroup] = Field(description="Groups of videos that are copies of each other.")
    shared_clips: list[SharedClip] = Field(description="Clips that two videos both show.")
    pairs: list[PairOut]


@router.get(
    "/duplicates",
    response_model=DuplicatesResponse,
    responses={422: {"model": ErrorResponse, "description": "Invalid parameters"}},
)
def duplicates(
    svc: Annotated[Services, Depends(services)],
    min_similarity: Annotated[
        float, Query(gt=0.0, le=1.0, description="Cosine two aligned frames need.")
    ] = DEFAULTS.min_similarity,
    min_coverage: Annotated[
        float, Query(gt=0.0, le=1.0, description="Fraction of both videos a copy covers.")
    ] = DEFAULTS.min_coverage,
    min_shared: Annotated[
        float, Query(gt=0.0, le=86_400.0, description="Seconds a shared clip lasts at least.")
    ] = DEFAULTS.min_shared,
) -> DuplicatesResponse:
    """Copies (re-encodes, resizes, crops, trims) grouped, and clips two videos share, with
    the time offsets between them. Found from the stored vectors once, then kept up to date
    for new and removed videos only, so only the first request after a change waits."""
    state = svc.state
    state.refresh()
    options = DuplicateOptions(min_similarity, min_coverage, min_shared)
    with state.lock:
        report = library_duplicates(state.library, options).with_paths(state.library)
    data = report.to_json()
    for group in data["copies"]:
        for video in group["videos"]:
            _decorate(video)
    for clip in data["shared_clips"]:
        for moment in clip["moments"]:
            _decorate(moment, moment["start"])
    return DuplicatesResponse(**data)


def _decorate(item: dict, start: float | None = None) -> None:
    item["title"] = PurePath(item["path"]).name
    item["stream_url"] = stream_url(item["video_id"], start)
