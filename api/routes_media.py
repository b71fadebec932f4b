"""``GET /videos/{id}/stream`` (Range requests) and ``GET /segments/{id}/thumbnail`` (JPEG)."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from vidseek.api.errors import ApiError
from vidseek.api.schemas import MAX_ID, ErrorResponse
from vidseek.api.served_files import checked_path
from vidseek.api.services import Services, services
from vidseek.api.streaming import file_response
from vidseek.api.thumbnails import ThumbnailError, ThumbnailUnavailable

router = APIRouter(tags=["media"])
RETRY_AFTER_S = 30  # a thumbnail whose decode hung or crashed: when to ask again
VIDEO_RESPONSES = {
    206: {"description": "Partial content (Range request)"},
    404: {"model": ErrorResponse, "description": "No such video, or its file is gone"},
    416: {"model": ErrorResponse, "description": "Range not satisfiable"},
    422: {"model": ErrorResponse, "description": "Invalid parameters"},
}


@router.head("/videos/{video_id}/stream", include_in_schema=False, response_class=Response)
@router.get(
    "/videos/{video_id}/stream",
    responses={200: {"content": {"video/mp4": {}}, "description": "The file"}, **VIDEO_RESPONSES},
    response_class=Response,
)
def stream_video(
    video_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    svc: Annotated[Services, Depends(services)],
    request: Request,
    range_header: Annotated[str | None, Header(alias="range")] = None,
) -> Response:
    """The video file; supports ``Range: bytes=…`` so players can seek."""
    with svc.state.locked() as library:
        video = library.video(video_id)  # VideoNotFound → 404
    return file_response(
        FsPath(video.path),
        range_header,
        size=video.size,
        roots=svc.state.config.resolved_roots,
        head=request.method == "HEAD",
    )


@router.get(
    "/segments/{segment_id}/thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "A JPEG of the moment"},
        404: {"model": ErrorResponse, "description": "No such segment, or no frame"},
        422: {"model": ErrorResponse, "description": "Invalid parameters"},
        503: {"model": ErrorResponse, "description": "The decoder hung or failed; retry later"},
    },
)
async def segment_thumbnail(
    segment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    svc: Annotated[Services, Depends(services)],
) -> Response:
    """A small JPEG of the segment's middle frame (cached in memory)."""
    ref = await run_in_threadpool(svc.segments.find, segment_id)
    if ref is None:
        raise ApiError(404, f"no segment with id {segment_id}", "segment_not_found")
    middle = (ref.start + ref.end) / 2
    roots = svc.state.config.resolved_roots
    real = await run_in_threadpool(checked_path, ref.path, ref.size, roots)  # 404 if swapped
    try:
        data = await run_in_threadpool(
            svc.thumbnails.get, (segment_id, ref.content_hash), real, middle
        )
    except ThumbnailUnavailable as exc:
        raise ApiError(
            503,
            f"thumbnail of segment {segment_id} unavailable for now: {exc}",
            "thumbnail_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from exc
    except ThumbnailError as exc:
        raise ApiError(404, f"no thumbnail for segment {segment_id}: {exc}", "no_frame") from exc
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
