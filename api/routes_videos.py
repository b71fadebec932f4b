"""``GET /videos``, ``GET /videos/{id}``, ``DELETE /videos/{id}``."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from vidseek.api.schemas import (
    MAX_ID,
    Deleted,
    ErrorResponse,
    EvidenceOut,
    SegmentOut,
    VideoDetail,
    VideoList,
    VideoOut,
)
from vidseek.api.services import Services, services
from vidseek.api.urls import stream_url, thumbnail_url
from vidseek.core.types import VideoRecord

router = APIRouter(tags=["videos"])
VideoId = Annotated[int, Path(ge=1, le=MAX_ID, description="Opaque video id.")]
NOT_FOUND = {404: {"model": ErrorResponse, "description": "No such video"}}
INVALID = {422: {"model": ErrorResponse, "description": "Invalid parameters"}}


def video_out(video: VideoRecord) -> dict:
    return {
        "id": video.id,
        "path": video.path,
        "title": PurePath(video.path).name,
        "status": video.status,
        "error": video.error,
        "size": video.size,
        "duration": video.duration,
        "fps": video.fps,
        "width": video.width,
        "height": video.height,
        "backend": video.backend,
        "n_frames": video.n_frames,
        "n_segments": video.n_segments,
        "stream_url": stream_url(video.id),
    }


@router.get("/videos", response_model=VideoList, responses=INVALID)
def list_videos(
    svc: Annotated[Services, Depends(services)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    status: Annotated[Literal["indexed", "failed"] | None, Query()] = None,
) -> VideoList:
    """Videos in the library, oldest first, one page at a time."""
    svc.state.refresh()
    with svc.state.locked() as library:
        total = library.count_videos(status)
        videos = library.videos(status=status, limit=limit, offset=offset)
    end = offset + limit
    return VideoList(
        total=total,
        offset=offset,
        limit=limit,
        next_offset=end if end < total else None,
        videos=[VideoOut(**video_out(v)) for v in videos],
    )


@router.get("/videos/{video_id}", response_model=VideoDetail, responses={**NOT_FOUND, **INVALID})
def get_video(video_id: VideoId, svc: Annotated[Services, Depends(services)]) -> VideoDetail:
    """One video's metadata and its segments (time windows with thumbnails)."""
    svc.state.refresh()
    with svc.state.locked() as library:
        video = library.video(video_id)  # VideoNotFound → 404
        rows = library.segments(video_id)
        evidence = library.catalog.evidence_status(video_id)
    segments = [
        SegmentOut(
            id=r.id,
            start=round(r.start, 3),
            end=round(r.end, 3),
            n_frames=r.n_frames,
            thumbnail_url=thumbnail_url(r.id),
        )
        for r in rows
    ]
    runs = {kind: EvidenceOut(**run.to_json()) for kind, run in evidence.items()}
    return VideoDetail(**video_out(video), segments=segments, evidence=runs)


@router.delete("/videos/{video_id}", response_model=Deleted, responses={**NOT_FOUND, **INVALID})
def delete_video(video_id: VideoId, svc: Annotated[Services, Depends(services)]) -> Deleted:
    """Remove a video's vectors and rows; searches never return it again. The file stays."""
    with svc.state.locked() as library:
        library.remove_video(video_id)  # VideoNotFound → 404
    svc.state.changed()
    return Deleted(id=video_id)
