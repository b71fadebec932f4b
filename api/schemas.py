"""Pydantic request and response models: they make the published OpenAPI schema precise."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

MAX_K = 200  # results per page
MAX_FILTER_IDS = 1000
MAX_PREFIXES = 32
MAX_PATH_CHARS = 4096
MAX_QUERY_CHARS = 2000
# Ids stay below 2**53, the largest integer a JSON number holds exactly everywhere; a bound
# of 2**63 - 1 would let clients that read JSON numbers as doubles think 2**63 is allowed.
MAX_ID = 2**53 - 1


def _not_bool(value: object) -> object:
    if isinstance(value, bool):  # pydantic would take true/false as 1/0
        raise ValueError("a number is needed, not true or false")
    return value


NoBool = BeforeValidator(_not_bool)


def _not_number(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("true or false is needed, not a number")  # pydantic takes 0/1
    return value


NoNumber = BeforeValidator(_not_number)
VideoIdItem = Annotated[int, Field(ge=1, le=MAX_ID), NoBool]
PrefixItem = Annotated[str, Field(min_length=1, max_length=MAX_PATH_CHARS)]
PathItem = Annotated[
    str,
    Field(min_length=1, max_length=MAX_PATH_CHARS, pattern=r"^[^\x00]*$"),
]


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. `bad_query`.")
    message: str = Field(description="What went wrong, for a person.")
    details: list[dict[str, str]] | None = None
    hint: str | None = Field(None, description="What to do about it, where the server knows.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


MAX_DURATION_S = 10_000_000.0  # about 115 days
MAX_PIXELS = 1_000_000
Duration = Annotated[float, Field(ge=0.0, le=MAX_DURATION_S, allow_inf_nan=False), NoBool]
Pixels = Annotated[int, Field(ge=0, le=MAX_PIXELS), NoBool]
# Only real calendar days (month lengths, Gregorian leap years), so every date the schema
# allows is one the server reads.
_YEAR = r"[1-9][0-9]{3}"
_LEAP = r"([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)"
ISO_DATE = (
    rf"^({_YEAR}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    rf"|{_YEAR}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    rf"|{_YEAR}-02-(0[1-9]|1[0-9]|2[0-8])"
    rf"|{_LEAP}-02-29)"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
)
IsoDate = Annotated[
    str,
    Field(
        min_length=10,
        max_length=40,
        pattern=ISO_DATE,
        description="ISO 8601 date or date-time (`2024-05-01`, `2024-05-01T12:00:00Z`); "
        "UTC unless a zone is given.",
    ),
]
LanguageItem = Annotated[
    str, Field(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
]
MAX_NOT = 8


class SearchParams(BaseModel):
    """Options shared by text and image search."""

    model_config = ConfigDict(extra="forbid")

    k: Annotated[int, Field(ge=1, le=MAX_K), NoBool] = Field(
        10, description="Results (clips or groups) per page."
    )
    offset: Annotated[int, Field(ge=0, le=100_000), NoBool] = Field(
        0, description="Results to skip (pagination)."
    )
    group_by: Literal["clip", "video"] = Field(
        "clip", description="`video`: one result per video, with its matching clips."
    )
    per_video: Annotated[int, Field(ge=1, le=1000), NoBool] | None = Field(
        None, description="At most this many clips of one video."
    )
    video_ids: list[VideoIdItem] | None = Field(
        None, max_length=MAX_FILTER_IDS, description="Only search these videos."
    )
    path_prefix: list[PrefixItem] | None = Field(
        None, max_length=MAX_PREFIXES, description="Only videos whose path starts with one."
    )
    min_score: Annotated[float, Field(ge=-1.0, le=1.0), NoBool] | None = Field(
        None, description="Drop clips with a lower cosine similarity."
    )
    collapse_duplicates: Annotated[bool, NoNumber] = Field(
        False,
        description="One result per moment: its copies in other videos (re-encodes, resizes, "
        "crops, trims, or a shared clip; see `GET /duplicates`) are listed in its `copies`.",
    )
    # -- what the videos must be like (search/filters.py); every bound includes its end --
    min_duration: Duration | None = Field(None, description="Only videos this long or longer (s).")
    max_duration: Duration | None = Field(None, description="Only videos at most this long (s).")
    min_width: Pixels | None = Field(None, description="Only videos at least this wide (px).")
    max_width: Pixels | None = Field(None, description="Only videos at most this wide (px).")
    min_height: Pixels | None = Field(None, description="Only videos at least this high (px).")
    max_height: Pixels | None = Field(None, description="Only videos at most this high (px).")
    modified_after: IsoDate | None = Field(None, description="Only files modified on or after.")
    modified_before: IsoDate | None = Field(None, description="Only files modified on or before.")
    created_after: IsoDate | None = Field(
        None,
        description="Only videos whose container says they were made on or after (its "
        "`creation_time` tag; videos without one never match).",
    )
    created_before: IsoDate | None = Field(None, description="Only videos made on or before.")
    language: list[LanguageItem] | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="Only videos with speech or subtitles in one of these (`en`, `de`, ...).",
    )
    has_speech: Annotated[bool, NoNumber] | None = Field(
        None, description="true: only videos with transcribed speech; false: only without."
    )
    has_subtitles: Annotated[bool, NoNumber] | None = Field(
        None, description="true: only videos with subtitles; false: only without."
    )


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the query is empty: type what you are looking for")
    return text


_EVIDENCE = r"(visual|speech|subtitles?|ocr)"
# One kind, or several joined by commas (`modalities=speech,ocr`); repeating the
# parameter works as well. The pattern keeps the schema exact for clients and fuzzers.
Evidence = Annotated[str, Field(pattern=rf"^{_EVIDENCE}(,{_EVIDENCE})*$", max_length=64)]


QueryText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_QUERY_CHARS, json_schema_extra={"pattern": r"\S"}),
    AfterValidator(_not_blank),
]


class TextSearchRequest(SearchParams):
    q: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Text, any language (not only spaces).",
            json_schema_extra={"pattern": r"\S"},
        ),
        AfterValidator(_not_blank),
    ]
    modalities: list[Evidence] | None = Field(
        None,
        min_length=1,
        max_length=8,
        description="Search only this evidence: what is seen (`visual`), said (`speech`), "
        "subtitled (`subtitle`) or written on screen (`ocr`). Default: all of them, fused; "
        'an exact spoken or written phrase ranks first. `words "in quotes"` must occur '
        "together.",
    )
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0), NoBool] | None = Field(
        None,
        description="Drop moments whose calibrated confidence (0-1) is lower. Default: the "
        "model's cut-off, so a query for something absent returns no results and says why "
        "(`no_match`); 0 returns every moment.",
    )
    then: QueryText | None = Field(
        None,
        description="Temporal order: spans where this comes after `q` in one video, from the "
        "start of `q`'s moment to the end of this one's (what is seen only).",
    )
    max_gap: Annotated[float, Field(ge=0.0, le=86_400.0, allow_inf_nan=False), NoBool] | None = (
        Field(
            None,
            description="With `then`: at most this many seconds between the two (10); "
            "ignored without `then`.",
        )
    )
    not_: list[QueryText] | None = Field(
        None,
        alias="not",
        max_length=MAX_NOT,
        description="Leave out moments that also show one of these (`a black background`).",
    )


MAX_SECONDS = 10_000_000.0  # a bound on a moment's start and end (about 115 days)
Seconds = Annotated[float, Field(ge=0.0, le=MAX_SECONDS, allow_inf_nan=False), NoBool]


class SimilarSearchRequest(SearchParams):
    """A moment of an indexed video as the query (``POST /search/video``)."""

    video_id: VideoIdItem = Field(description="The video the moment is taken from.")
    start: Seconds | None = Field(None, description="Start of the moment (default: 0).")
    end: Seconds | None = Field(
        None, description="End of the moment (default: the end of the video); after start."
    )
    include_source: StrictBool = Field(
        False, description="Also return moments of the video itself (left out by default)."
    )


class MomentCopy(BaseModel):
    """The same moment in another video (``collapse_duplicates``)."""

    video_id: int
    path: str
    title: str
    start: float
    end: float
    score: float
    stream_url: str


class Snippet(BaseModel):
    """The words that matched, with their time (for speech: the matched words' own times)."""

    text: str = Field(description="The span's text: a sentence, a subtitle cue, a sign.")
    kind: Literal["speech", "subtitle", "ocr"]
    start: float
    end: float
    language: str | None = Field(None, description="ISO 639-1 code, when known.")


class Moment(BaseModel):
    """One matching moment of a video, ready to show and play."""

    rank: int = Field(description="1-based rank in the whole result list.")
    video_id: int
    path: str
    title: str = Field(description="The video's file name.")
    start: float = Field(description="Seconds from the start of the video.")
    end: float
    score: float = Field(description="Cosine similarity to the query.")
    segment_ids: list[int]
    thumbnail_url: str
    stream_url: str = Field(description="The video, positioned at the moment (`#t=start`).")
    copies: list[MomentCopy] = Field(
        default_factory=list,
        description="With `collapse_duplicates`: the same moment in other videos, best first.",
    )
    matched: list[Literal["visual", "speech", "subtitle", "ocr"]] = Field(
        default_factory=lambda: ["visual"],
        description="The evidence that found this moment: seen, said, subtitled, written.",
    )
    snippet: Snippet | None = Field(
        None, description="The matching words and their time; null when only seen."
    )
    confidence: float | None = Field(
        None,
        description="Text queries: the calibrated probability (0-1) that the moment shows "
        "what the query says, comparable across queries; null for image and moment queries.",
    )
    confidence_level: Literal["high", "medium", "low"] | None = Field(
        None, description="`high`, `medium` (at or above the default cut-off) or `low`."
    )


class VideoGroup(BaseModel):
    """All matching moments of one video (``group_by=video``)."""

    rank: int
    video_id: int
    path: str
    title: str
    score: float = Field(description="Best clip score of the video.")
    clip_count: int = Field(description="Matching clips of this video in the result window.")
    thumbnail_url: str
    stream_url: str
    clips: list[Moment]


class NoMatchOut(BaseModel):
    """Why a text query that found moments returns none: none reached the cut-off."""

    reason: str
    min_confidence: float = Field(description="The cut-off that was applied.")
    best_confidence: float = Field(description="The most confident moment below it.")
    weaker: int = Field(description="Moments below it: ask again with `min_confidence=0`.")


class SearchResponse(BaseModel):
    query: str | None = Field(description="The text query, or null for an image query.")
    group_by: Literal["clip", "video"]
    total: int = Field(description="Results (clips or groups) available for this query.")
    offset: int
    k: int
    next_offset: int | None = Field(description="Offset of the next page, null on the last.")
    library_empty: bool = Field(description="True when nothing is indexed yet.")
    results: list[Moment] = Field(description="Clips, best first (group_by=clip).")
    groups: list[VideoGroup] = Field(description="Videos, best first (group_by=video).")
    no_match: NoMatchOut | None = Field(
        None,
        description="Set when nothing reaches the confidence cut-off: why, and how many "
        "weaker moments there are.",
    )


class SegmentOut(BaseModel):
    id: int
    start: float
    end: float
    n_frames: int
    thumbnail_url: str


class VideoOut(BaseModel):
    id: int
    path: str
    title: str
    status: str = Field(description="`indexed` or `failed`.")
    error: str | None
    size: int
    duration: float | None
    fps: float | None
    width: int | None
    height: int | None
    backend: str | None
    n_frames: int
    n_segments: int
    stream_url: str


class EvidenceOut(BaseModel):
    kind: Literal["speech", "subtitle", "ocr"]
    status: Literal["done", "failed"]
    error: str | None = Field(
        description="Why it failed; for a done run, what was wrong with part of the input."
    )
    model: str | None = Field(description="What extracted it (e.g. whisper:tiny.en).")
    spans: int = Field(description="Text spans of this kind stored for the video.")


class VideoDetail(VideoOut):
    segments: list[SegmentOut]
    evidence: dict[str, EvidenceOut] = Field(
        default_factory=dict,
        description="Per kind of text evidence extracted (speech, subtitle, ocr): done or "
        "failed, and why. Kinds never extracted are absent.",
    )


class VideoList(BaseModel):
    total: int
    offset: int
    limit: int
    next_offset: int | None
    videos: list[VideoOut]


class Deleted(BaseModel):
    id: int
    deleted: bool = True


class IndexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[PathItem] = Field(
        min_length=1,
        max_length=256,
        description="Files or folders inside a configured media root (relative paths are "
        "taken relative to the first root).",
    )
    fps: Annotated[float, Field(gt=0, le=30), NoBool] = Field(
        1.0, description="Frames sampled per second of video."
    )
    evidence: list[Literal["subtitles", "speech", "ocr"]] | None = Field(
        None,
        max_length=3,
        description="Text evidence to extract besides the pictures (remembered by the "
        "library); an empty list extracts none. Default: what the library was last indexed "
        "with, else subtitles.",
    )


class FileResult(BaseModel):
    path: str
    status: str
    reason: str
    video_id: int | None
    frames: int


class Job(BaseModel):
    id: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] = Field(
        description="interrupted: the server stopped while the job was queued or running."
    )
    paths: list[str]
    files_total: int | None = Field(description="Video files found; null until discovered.")
    files_done: int
    files_indexed: int
    files_unchanged: int
    files_failed: int = Field(description="Files that failed to decode, or were refused.")
    frames: int
    current_file: str | None
    created_at: float = Field(description="Unix time.")
    started_at: float | None
    finished_at: float | None
    elapsed_s: float
    eta_s: float | None = Field(description="Estimated seconds left, null when unknown.")
    error: str | None
    failures: list[FileResult]


class JobList(BaseModel):
    jobs: list[Job]


class Health(BaseModel):
    status: Literal["ok"]
    videos: int
    model: str | None
    jobs_running: int
