"""Which videos a search may return: by id, by path prefix, and by what the catalog knows of
each video (duration, frame size, file date, the container's creation time, speech and
subtitles). Every filter is a catalog query answered with ids, never a scan of vectors."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Select, select

from vidseek.core.catalog.schema import TextSpanRow, Video
from vidseek.core.errors import QueryError
from vidseek.core.library import Library

MAX_PREFIX_CHARS = 4096
MAX_LANGUAGES = 32


def normalize_prefix(prefix: str) -> str:
    """``prefix`` checked, with a run of trailing slashes cut to one (``/a/b//`` → ``/a/b/``).

    A prefix is a plain string: ``/a/b`` matches ``/a/bc/x.mp4`` too; ``/a/b/`` only what is
    inside the folder ``/a/b``. ``%`` and ``_`` are ordinary characters.
    """
    if not prefix:
        raise QueryError("a path prefix must not be empty")
    if len(prefix) > MAX_PREFIX_CHARS:
        raise QueryError(f"a path prefix is at most {MAX_PREFIX_CHARS} characters")
    stripped = prefix.rstrip("/")
    return stripped + "/" if stripped != prefix else prefix


def absolute_prefix(prefix: str) -> str:
    """A prefix typed by a local user, as the catalog stores paths (absolute); an existing
    folder gets a trailing separator, so ``holidays`` means the videos inside it, not
    ``holidays2/``."""
    expanded = os.path.expanduser(prefix)
    absolute = str(Path(expanded).absolute())
    if expanded.endswith(os.sep) or Path(absolute).is_dir():
        absolute = absolute.rstrip(os.sep) + os.sep
    return absolute


def videos_under(library: Library, prefixes: Iterable[str]) -> set[int]:
    """Ids of the videos whose path starts with any of ``prefixes`` (failed ones too: they
    have no vectors, so they add no results).

    Reads the catalog only (its own connection), so callers need not hold a lock that guards
    the library's vector index.
    """
    found: set[int] = set()
    for prefix in {normalize_prefix(p) for p in prefixes}:
        if "\0" in prefix:  # no file path holds one (and PostgreSQL text cannot)
            continue
        found.update(library.catalog.video_ids_under(prefix))
    return found


def to_epoch(value: float | int | str | date | datetime, end_of_day: bool = False) -> float:
    """Unix seconds from a number, a ``date``/``datetime`` or an ISO 8601 string
    (``2024-05-01`` or ``2024-05-01T12:00:00+02:00``); a date or time without a zone is UTC.
    A day without a time is its first instant, or with ``end_of_day`` its last (so "before
    2024-05-01" includes that day)."""
    if isinstance(value, bool):
        raise QueryError("a date is an ISO 8601 string or Unix seconds, not true or false")
    if isinstance(value, int | float):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise QueryError("a date in Unix seconds must be a finite number")
        return seconds
    if isinstance(value, str):
        if len(value.strip()) == 10:  # a day, not a time
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                pass  # said below
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(
                f"not an ISO 8601 date: {value!r} (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"
            ) from None
    if not isinstance(value, datetime):  # a day: its first (or last) instant, UTC
        value = datetime(value.year, value.month, value.day)
        if end_of_day:
            value = value.replace(hour=23, minute=59, second=59, microsecond=999_999)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.timestamp()
    except (OverflowError, ValueError):
        raise QueryError(f"the date {value.isoformat()} is out of range") from None


@dataclass(frozen=True)
class VideoFilter:
    """What a video must be like to be searched; None leaves a bound open. Ranges include
    their ends. Dates are Unix seconds: ``modified_*`` the file's modification time,
    ``created_*`` the container's ``creation_time`` tag (videos without one never match a
    creation range). ``languages``: videos with speech or subtitles in one of them;
    ``has_speech`` / ``has_subtitles``: True for videos with them, False for videos without."""

    min_duration: float | None = None
    max_duration: float | None = None
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None
    modified_after: float | None = None
    modified_before: float | None = None
    created_after: float | None = None
    created_before: float | None = None
    languages: tuple[str, ...] | None = None
    has_speech: bool | None = None
    has_subtitles: bool | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def inverted(self) -> list[str]:
        """The ranges whose low end is above their high end (they match nothing)."""
        return [
            f"{low} ({getattr(self, low):g}) is above {high} ({getattr(self, high):g})"
            for low, high in _RANGES
            if getattr(self, low) is not None
            and getattr(self, high) is not None
            and getattr(self, low) > getattr(self, high)
        ]

    def validate(self) -> None:
        for low, high in _RANGES:
            lo, hi = getattr(self, low), getattr(self, high)
            for name, value in ((low, lo), (high, hi)):
                if value is not None and not (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                ):
                    raise QueryError(f"{name} must be a finite number, got {value!r}")
        for name in ("min_duration", "max_duration", *_SIZES):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise QueryError(f"{name} must be at least 0, got {value:g}")
        if self.languages is not None:
            if isinstance(self.languages, str):
                raise QueryError("languages is a tuple of language codes, not one string")
            if not 1 <= len(self.languages) <= MAX_LANGUAGES:
                raise QueryError(f"give 1 to {MAX_LANGUAGES} languages")
            if any(not isinstance(code, str) or not code.strip() for code in self.languages):
                raise QueryError("a language is a code such as en or de")
        for name in ("has_speech", "has_subtitles"):
            if getattr(self, name) not in (None, True, False):
                raise QueryError(f"{name} is true or false")


_SIZES = ("min_width", "max_width", "min_height", "max_height")
_RANGES = (
    ("min_duration", "max_duration"),
    ("min_width", "max_width"),
    ("min_height", "max_height"),
    ("modified_after", "modified_before"),
    ("created_after", "created_before"),
)
_BOUNDS = {  # column → (field of its low bound, field of its high bound)
    Video.duration: ("min_duration", "max_duration"),
    Video.width: ("min_width", "max_width"),
    Video.height: ("min_height", "max_height"),
    Video.mtime: ("modified_after", "modified_before"),
    Video.creation_time: ("created_after", "created_before"),
}


# the filters that are one value each (``languages`` is a tuple)
FILTER_FIELDS = tuple(f.name for f in fields(VideoFilter) if f.name != "languages")
DATE_FIELDS = ("modified_after", "modified_before", "created_after", "created_before")


def split_video_filter(
    options: dict[str, object],
) -> tuple[dict[str, object], VideoFilter | None]:
    """Keyword options → (the rest, a ``VideoFilter`` of those that are its fields, or None).
    Dates may be ISO 8601 strings, dates or Unix seconds; ``languages`` one code or many."""
    names = {f.name for f in fields(VideoFilter)}
    given = {k: v for k, v in options.items() if k in names and v is not None}
    rest = {k: v for k, v in options.items() if k not in names}
    explicit = rest.pop("video_filter", None)
    if not given:
        return rest, explicit  # type: ignore[return-value]
    if explicit is not None:
        raise QueryError("give video_filter or its fields, not both")
    for name in DATE_FIELDS:
        if name in given:
            end = name.endswith("_before")  # a day includes its last instant
            given[name] = to_epoch(given[name], end_of_day=end)  # type: ignore[arg-type]
    if isinstance(given.get("languages"), str):
        given["languages"] = (given["languages"],)
    elif "languages" in given:
        given["languages"] = tuple(given["languages"])  # type: ignore[arg-type]
    video_filter = VideoFilter(**given)  # type: ignore[arg-type]
    video_filter.validate()
    return rest, video_filter


def videos_matching(library: Library, video_filter: VideoFilter) -> set[int]:
    """Ids of the videos the filter allows. Each filtered column is one ``SELECT id`` with
    its bounds, which its own index answers without reading a row (videos.duration, width,
    height, mtime, creation_time: migrations 7 and 8; text_spans (kind, language, video_id)),
    and the answers are intersected here, smallest first: SQLite's ``INTERSECT`` of two large
    answers costs 30x more than the two queries. A NULL (no creation time, say) matches no
    bound on it; an inverted range matches nothing."""
    video_filter.validate()
    wanted: list[Select] = []
    for column, (low, high) in _BOUNDS.items():
        lo, hi = getattr(video_filter, low), getattr(video_filter, high)
        if lo is not None or hi is not None:
            part = select(Video.id)
            part = part if lo is None else part.where(column >= lo)
            wanted.append(part if hi is None else part.where(column <= hi))
    if video_filter.languages is not None:
        codes = sorted({language_code(code) for code in video_filter.languages})
        wanted.append(_with_spans(("speech", "subtitle"), codes))
    unwanted: list[Select] = []
    spoken = (("speech", video_filter.has_speech), ("subtitle", video_filter.has_subtitles))
    for kind, has in spoken:
        if has is not None:
            (wanted if has else unwanted).append(_with_spans((kind,), None))
    if not wanted:
        wanted.append(select(Video.id))
    with library.catalog.engine.connect() as conn:
        answers = sorted(({int(i) for i in conn.execute(q).scalars()} for q in wanted), key=len)
        found = answers[0].intersection(*answers[1:])
        for query in unwanted:
            if found:
                found.difference_update(int(i) for i in conn.execute(query).scalars())
    return found


def language_code(code: str) -> str:
    """``"pt-BR"`` → ``"pt"``: languages are stored as their primary subtag, lower case."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def _with_spans(kinds: tuple[str, ...], languages: list[str] | None) -> Select:
    """Ids of the videos with text spans of ``kinds`` (in one of ``languages``); a language
    is heard or read as subtitles, so on-screen text never says one."""
    spans = select(TextSpanRow.video_id).distinct().where(TextSpanRow.kind.in_(kinds))
    if languages is not None:
        spans = spans.where(TextSpanRow.language.in_(languages))
    return spans


def allowed_videos(
    library: Library,
    video_ids: Iterable[int] | None,
    path_prefixes: Iterable[str] | None,
    video_filter: VideoFilter | None = None,
) -> tuple[int, ...] | None:
    """The video ids every filter allows (ascending; may be empty), or None when unfiltered."""
    if video_filter is not None and video_filter.is_empty():
        video_filter = None
    if video_ids is None and path_prefixes is None and video_filter is None:
        return None
    allowed = set(video_ids) if video_ids is not None else None
    if path_prefixes is not None:
        under = videos_under(library, path_prefixes)
        allowed = under if allowed is None else allowed & under
    if video_filter is not None:
        matching = videos_matching(library, video_filter)
        allowed = matching if allowed is None else allowed & matching
    return tuple(sorted(allowed))
