"""``POST /score``: CLIPSIM of one video inside the media roots for one prompt.

The definition is ``vidseek score``'s (docs/EVAL.md), with the server's model (the library's).
The file is checked against the media roots, opened, checked again on the open descriptor and
decoded through it (``JobDecoder``), in an isolated worker unless the server decodes in
process; one score runs at a time (another gets 429).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from vidseek.api.errors import ApiError
from vidseek.api.job_decoder import JobDecoder
from vidseek.api.paths import check_index_path
from vidseek.api.schemas import ErrorResponse
from vidseek.api.services import Services, services
from vidseek.core.errors import DecodeError
from vidseek.indexer.frames import Decoder

router = APIRouter(tags=["score"])
MAX_FRAMES = 3600  # frames one score may encode (an hour at 1 fps)
DECODE_TIMEOUT_S = 300.0
_running = threading.Semaphore(1)


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=4096, description="A video file in the roots.")
    prompt: str = Field(min_length=1, max_length=1000, description="The text to score against.")
    fps: float = Field(1.0, gt=0, le=10, description="Frames sampled per second of video.")
    frames: bool = Field(False, description="Also return each frame's time and cosine.")


class FrameScore(BaseModel):
    time: float
    cosine: float


class ScoreResponse(BaseModel):
    metric: Literal["clipsim"] = "clipsim"
    model: str
    fps: float
    path: str
    prompt: str
    clipsim: float = Field(description="Mean raw cosine over the sampled frames.")
    clip_score: float = Field(description="Mean over frames of max(100 x cosine, 0).")
    frames: int
    frame_scores: list[FrameScore] | None = None


@dataclass
class _Unstoppable:  # a score is one short request: nothing cancels it
    cancel_requested: bool = False
    interrupt: object = None


@router.post(
    "/score",
    response_model=ScoreResponse,
    responses={
        400: {"model": ErrorResponse, "description": "Malformed path, a folder, or too long"},
        403: {"model": ErrorResponse, "description": "Outside the media roots, or no roots"},
        404: {"model": ErrorResponse, "description": "No such file inside the roots"},
        413: {"model": ErrorResponse, "description": "Body too large"},
        422: {"model": ErrorResponse, "description": "Invalid body, or an undecodable file"},
        429: {"model": ErrorResponse, "description": "Another score is running"},
        503: {"model": ErrorResponse, "description": "The model could not be loaded"},
    },
)
def score(body: ScoreRequest, svc: Annotated[Services, Depends(services)]) -> ScoreResponse:
    """CLIPSIM of a video inside the media roots for ``prompt``: frames sampled at ``fps``,
    each embedded with the image tower; ``clipsim`` is the mean raw cosine with the prompt's
    text vector, ``clip_score`` the mean of max(100 x cosine, 0) (docs/EVAL.md)."""
    from vidseek.evaluation.clipsim import frame_features, score_features

    roots = svc.state.config.resolved_roots
    if not roots:
        raise ApiError(
            403, "scoring reads files in the media roots: start the server with --media-root DIR"
        )
    path = check_index_path(body.path, roots)
    if not path.is_file():
        raise ApiError(400, f"{body.path!r} is not a video file", "bad_path")
    if not _running.acquire(blocking=False):
        raise ApiError(429, "another score is running", headers={"Retry-After": "5"})
    try:
        encoder = svc.state.encoder()
        with JobDecoder(_decoder(svc), _Unstoppable(), roots) as decoder:
            duration = decoder.probe(path).duration
            if duration * body.fps > MAX_FRAMES:
                raise ApiError(400, f"more than {MAX_FRAMES} frames at this fps", "too_long")
            features = frame_features(path, encoder, fps=body.fps, decoder=decoder)
        result = score_features(features, body.prompt, encoder)
    except DecodeError as exc:
        raise ApiError(422, f"cannot decode {body.path!r}: {exc}", "decode_failed") from exc
    finally:
        _running.release()
    frame_scores = None
    if body.frames:
        frame_scores = [
            FrameScore(time=round(float(t), 3), cosine=round(float(c), 6))
            for t, c in zip(result.times, result.cosines, strict=True)
        ]
    return ScoreResponse(
        model=encoder.identity.label,
        fps=body.fps,
        path=str(path),
        prompt=body.prompt,
        clipsim=round(result.clipsim, 6),
        clip_score=round(result.clip_score, 4),
        frames=len(result.cosines),
        frame_scores=frame_scores,
    )


def _decoder(svc: Services) -> Decoder:
    from vidseek.indexer.decode import default_decoder
    from vidseek.indexer.isolation import IsolatedDecoder

    if svc.state.config.isolate_decoding:
        return IsolatedDecoder(default_decoder, timeout=DECODE_TIMEOUT_S)
    return default_decoder()
