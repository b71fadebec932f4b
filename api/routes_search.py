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
    MAX_DURATION_S,
    MAX_K,
    MAX_PIXELS,
    MAX_QUERY_CHARS,
    ErrorResponse,
    IsoDate,
    LanguageItem,
    PrefixItem,
    QueryText,
    SearchParams,
    SearchResponse,
    SimilarSearchRequest,
    TextSearchRequest,
    VideoIdItem,
)
from vidseek.api.search_service import Question, run_search
from vidseek.api.services import Services, services
from vidseek.api.state import ServerState
from vidseek.core.errors import QueryError
from vidseek.search.query import DEFAULT_TEXT_WEIGHT
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
    max_gap = body.max_gap if body.then is not None else None  # the gap of then only
    question = Question(text, tuple(body.not_ or ()), body.then, max_gap)
    return run_search(
        state,
        svc.results,
        body,
        ("text", text),
        lambda searcher: searcher.embed_text(text),
        text if question.then is None else f"{text}, then {question.then}",
        queries="text",
        keywords=text,
        question=question,
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
    text: Annotated[
        str,
        Form(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            pattern=r"\S",
            description="Move the image query towards this text: an image of a red circle "
            "and `blue` finds blue circles.",
        ),
    ] = None,  # type: ignore[assignment]
    text_weight: Annotated[
        float,
        Form(gt=0.0, le=10.0, description="The text's weight against the image's (both unit)."),
    ] = DEFAULT_TEXT_WEIGHT,
    not_: Annotated[
        list[QueryText],
        Form(alias="not", description="Leave out moments that also show one of these texts."),
    ] = None,  # type: ignore[assignment]
    min_duration: Annotated[float, Form(ge=0.0, le=MAX_DURATION_S)] = None,  # type: ignore[assignment]
    max_duration: Annotated[float, Form(ge=0.0, le=MAX_DURATION_S)] = None,  # type: ignore[assignment]
    min_width: Annotated[int, Form(ge=0, le=MAX_PIXELS)] = None,  # type: ignore[assignment]
    max_width: Annotated[int, Form(ge=0, le=MAX_PIXELS)] = None,  # type: ignore[assignment]
    min_height: Annotated[int, Form(ge=0, le=MAX_PIXELS)] = None,  # type: ignore[assignment]
    max_height: Annotated[int, Form(ge=0, le=MAX_PIXELS)] = None,  # type: ignore[assignment]
    modified_after: Annotated[IsoDate, Form()] = None,  # type: ignore[assignment]
    modified_before: Annotated[IsoDate, Form()] = None,  # type: ignore[assignment]
    created_after: Annotated[IsoDate, Form()] = None,  # type: ignore[assignment]
    created_before: Annotated[IsoDate, Form()] = None,  # type: ignore[assignment]
    language: Annotated[list[LanguageItem], Form()] = None,  # type: ignore[assignment]
    has_speech: Annotated[bool, Form()] = None,  # type: ignore[assignment]
    has_subtitles: Annotated[bool, Form()] = None,  # type: ignore[assignment]
) -> SearchResponse:
    """Search by an example image: moments that look like it; with `text`, like it moved
    towards the text."""
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
            min_duration=min_duration,
            max_duration=max_duration,
            min_width=min_width,
            max_width=max_width,
            min_height=min_height,
            max_height=max_height,
            modified_after=modified_after,
            modified_before=modified_before,
            created_after=created_after,
            created_before=created_before,
            language=language,
            has_speech=has_speech,
            has_subtitles=has_subtitles,
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    data = image.file.read()
    array = decode_query_image(data)
    digest = hashlib.sha256(data).hexdigest()
    state = svc.state
    nudged = text is not None and text.strip()

    def embed(searcher):  # noqa: ANN001, ANN202
        if nudged:
            return searcher.embed_image_text(array, text, text_weight)
        return searcher.embed_image(array)

    return run_search(
        state,
        svc.results,
        params,
        ("image", digest, text if nudged else None, text_weight if nudged else None),
        embed,
        None,
        question=Question(None, tuple(not_ or ())),
    )


VIDEO_ERRORS = {
    400: {"model": ErrorResponse, "description": "A body that is not JSON"},
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
