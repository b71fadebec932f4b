"""The video filters of ``vidseek search``: duration, frame size, dates, language, speech and
subtitles, gathered into one ``VideoFilter`` (search/filters.py) for the command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from vidseek.core.errors import QueryError
from vidseek.search.filters import VideoFilter, to_epoch


class IsoDate(click.ParamType):
    """An ISO 8601 date or date-time (``2024-05-01``, ``2024-05-01T12:00:00Z``; UTC unless a
    zone is given) → Unix seconds."""

    name = "DATE"

    def __init__(self, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day  # "before DAY" includes that day

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, float):
            return value
        try:
            return to_epoch(str(value), end_of_day=self.end_of_day)
        except QueryError as exc:
            self.fail(str(exc), param, ctx)


SECONDS = click.FloatRange(min=0.0)
BEFORE = IsoDate(end_of_day=True)  # "before a day" includes that day
PIXELS = click.IntRange(min=0)
_OPTIONS = [
    click.option("--min-duration", type=SECONDS, metavar="S", help="Only videos S s or longer."),
    click.option("--max-duration", type=SECONDS, metavar="S", help="Only videos at most S s long."),
    click.option("--min-width", type=PIXELS, metavar="PX", help="Only videos at least this wide."),
    click.option("--max-width", type=PIXELS, metavar="PX", help="Only videos at most this wide."),
    click.option("--min-height", type=PIXELS, metavar="PX", help="Only videos at least this high."),
    click.option("--max-height", type=PIXELS, metavar="PX", help="Only videos at most this high."),
    click.option("--modified-after", type=IsoDate(), help="Only files modified on or after DATE."),
    click.option("--modified-before", type=BEFORE, help="Only files modified by DATE."),
    click.option(
        "--created-after",
        type=IsoDate(),
        help="Only videos whose container says they were made on or after DATE "
        "(its creation_time tag; videos without one never match).",
    ),
    click.option("--created-before", type=BEFORE, help="Only videos made by DATE."),
    click.option(
        "--language",
        "languages",
        multiple=True,
        metavar="CODE",
        help="Only videos with speech or subtitles in this language (en, de, ...; repeat).",
    ),
    click.option(
        "--has-speech/--no-speech",
        default=None,
        help="Only videos with (without) transcribed speech.",
    ),
    click.option(
        "--has-subtitles/--no-subtitles",
        default=None,
        help="Only videos with (without) subtitles.",
    ),
]  # fmt: skip
_NAMES = (
    "min_duration", "max_duration", "min_width", "max_width", "min_height", "max_height",
    "modified_after", "modified_before", "created_after", "created_before", "languages",
    "has_speech", "has_subtitles",
)  # fmt: skip


def video_filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options; the command gets them as one ``video_filter`` argument (a
    ``VideoFilter``, or None when no filter is given)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        given["languages"] = tuple(given["languages"]) or None
        video_filter = VideoFilter(**given)
        try:
            video_filter.validate()
        except QueryError as exc:
            raise click.UsageError(str(exc)) from None
        if video_filter.inverted():  # nothing could match: surely a typo
            raise click.UsageError("; ".join(video_filter.inverted()))
        kwargs["video_filter"] = None if video_filter.is_empty() else video_filter
        return command(*args, **kwargs)

    for option in reversed(_OPTIONS):
        run = option(run)
    return run
