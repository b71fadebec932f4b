"""``GET/POST /search`` (text, any language), ``POST /search/image`` (multipart upload) and
``POST /search/video`` (a moment of an indexed video: "more like this")."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ConfigDict, ValidationError

from vidseek.api.errors import ApiError
from vidseek.api.images import decode_query_image
from vidseek.api.schemas import (
    MAX_K,
    ErrorResponse,
    PrefixItem,
    SearchParams,
    SearchResponse,
    SimilarSearchRequest,
    TextSearchRequest,
    VideoIdItem,
)
from vidseek.api.search_service import run_search
from vidseek.api.services import Services, services
from vidseek.api.state import ServerState
from vidseek.core.errors import QueryError
from vidseek.search.similar import clip_vector

router = APIRouter(tags=["search"])
ERRORS = {
    400: {"model": ErrorResponse, "description": "Unusable query"},
    409: {"model": ErrorResponse, "description": "Library built with another model"},
    413: {"model": ErrorResponse, "description": "Body too large"},
    422: {"model": ErrorResponse, "description": "Invalid parameters"},
    503: {"model": ErrorResponse, "description": "The model could not be loaded"},
}


class TextSearchQuery(TextSearchRequest):
    """Query-string form of a text search (unknown parameters are ignored)."""

    model_config = ConfigDict(extra="ignore")


def _text_search(svc: Services, body: TextSearchRequest) -> SearchResponse:
    state: ServerState = svc.state
    text = body.q.strip()
    if not text:
        raise ApiError(400, "the query is empty: type what you are looking for", "bad_query")
    return run_search(
        state,
        svc.results,
        body,
        ("text", text),
        lambda searcher: searcher.embed_text(text),
        text,
        queries="text",
        keywords=text,
    )


@router.get("/search", response_model=SearchResponse, responses=ERRORS)
def search_get(
    params: Annotated[TextSearchQuery, Query()], svc: Annotated[Services, Depends(services)]
) -> SearchResponse:
    """Search by text in any language the model knows; returns ranked moments."""
    return _text_search(svc, params)


@router.post("/search", response_model=SearchResponse, responses=ERRORS)
def search_post(
    body: TextSearchRequest, svc: Annotated[Services, Depends(services)]
) -> SearchResponse:
    """Search by text (JSON body); same options as ``GET /search``."""
    return _text_search(svc, body)


@router.post("/search/image", response_model=SearchResponse, responses=ERRORS)
def search_image(
    svc: Annotated[Services, Depends(services)],
    image: Annotated[
        UploadFile,
        File(
            description="A JPEG, PNG, WebP, GIF, BMP or TIFF image (16 megapixels at most).",
            json_schema_extra={"minLength": 1},
        ),
    ],
    k: Annotated[int, Form(ge=1, le=MAX_K)] = 10,
    offset: Annotated[int, Form(ge=0, le=100_000)] = 0,
    group_by: Annotated[Literal["clip", "video"], Form()] = "clip",
    # Optional, not nullable: a multipart form has no null, only a field that is left out.
    per_video: Annotated[int, Form(ge=1, le=1000)] = None,  # type: ignore[assignment]
    video_ids: Annotated[list[VideoIdItem], Form()] = None,  # type: ignore[assignment]
    path_prefix: Annotated[list[PrefixItem], Form()] = None,  # type: ignore[assignment]
    min_score: Annotated[float, Form(ge=-1.0, le=1.0)] = None,  # type: ignore[assignment]
    collapse_duplicates: Annotated[bool, Form()] = False,
) -> SearchResponse:
    """Search by an example image: moments that look like it."""
    try:
        params = SearchParams(
            k=k,
            offset=offset,
            group_by=group_by,
            per_video=per_video,
            video_ids=video_ids,
            path_prefix=path_prefix,
            min_score=min_score,
            collapse_duplicates=collapse_duplicates,
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    data = image.file.read()
    array = decode_query_image(data)
    digest = hashlib.sha256(data).hexdigest()
    state = svc.state
    return run_search(
        state,
        svc.results,
        params,
        ("image", digest),
        lambda searcher: searcher.embed_image(array),
        None,
    )


VIDEO_ERRORS = {
    404: {"model": ErrorResponse, "description": "No video with that id"},
    413: ERRORS[413],
    422: {
        "model": ErrorResponse,
        "description": "Invalid parameters, or a range outside the video",
    },
    503: {"model": ErrorResponse, "description": "The library is unavailable"},
}


@router.post("/search/video", response_model=SearchResponse, responses=VIDEO_ERRORS)
def search_video(
    body: SimilarSearchRequest, svc: Annotated[Services, Depends(services)]
) -> SearchResponse:
    """More like this: moments similar to a moment of an indexed video (``start``..``end``,
    the whole video when not given). The query is the mean of the stored vectors of the
    segments there, so no model is loaded; the video's own moments are left out unless
    ``include_source``."""
    state = svc.state
    try:  # catalog reads only: outside the lock, like the filters
        vector = clip_vector(state.library, body.video_id, body.start, body.end)
    except QueryError as exc:
        raise ApiError(422, str(exc), "invalid_range") from None
    exclude = None if body.include_source else (body.video_id,)
    return run_search(
        state,
        svc.results,
        body,
        ("video", body.video_id, body.start, body.end),
        lambda _: vector,
        None,
        queries=None,
        exclude_video_ids=exclude,
    )
