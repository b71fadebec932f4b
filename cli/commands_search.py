"""``vidseek search``: find the moments that match a text, an image, or a file of queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from vidseek.cli.context import AppContext, single_query_threads
from vidseek.cli.search_filters import video_filter_options
from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Clip, ClipCopy
from vidseek.search.confidence import Judged, NoMatch
from vidseek.search.filters import VideoFilter, absolute_prefix
from vidseek.search.fusion import parse_modalities, search_all, wants_visual
from vidseek.search.grouping import GROUP_BY, GroupBy, VideoGroup
from vidseek.search.paging import Page, result_window
from vidseek.search.query import Searcher, SearchOptions
from vidseek.search.results import page_of, ranking_per_video


def page_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--offset, --group-by and --json: how a page of ranked results is cut and printed
    (``search`` and ``similar``)."""
    command = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of a table."
    )(command)
    command = click.option(
        "--group-by",
        type=click.Choice(GROUP_BY),
        default="clip",
        show_default=True,
        help="video: one result per video, with its matching clips (--per-video caps those).",
    )(command)
    return click.option(
        "--offset",
        type=click.IntRange(min=0),
        default=0,
        help="Skip this many results: the next page of -k 10 is --offset 10.",
    )(command)


@click.command("search")
@click.argument("text", required=False)
@click.option(
    "--image", type=click.Path(dir_okay=False, path_type=Path), help="Search by an image file."
)
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8"),
    help="File with one query per line ('-' for stdin); prints one JSON object per line.",
)
@click.option("-k", "--top", "k", default=10, show_default=True, help="Number of clips.")
@click.option("--per-video", type=int, help="At most this many clips of one video.")
@click.option("--video", "video_ids", type=int, multiple=True, help="Only this video id (repeat).")
@click.option("--min-score", type=float, help="Drop clips with a lower cosine similarity.")
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    help="Text queries: drop moments whose calibrated confidence (0-1) is lower. Default: the "
    "model's cut-off (vidseek models calibrate), so a query for something absent prints "
    "'no match'; 0 shows every moment.",
)
@click.option(
    "--path-prefix",
    "path_prefixes",
    multiple=True,
    metavar="PREFIX",
    help="Only videos whose path starts with PREFIX (repeat); a folder: the videos inside it.",
)
@click.option(
    "--collapse-duplicates",
    is_flag=True,
    help="One result per moment: copies of it in other videos are listed under it.",
)
@click.option(
    "--in",
    "evidence",
    metavar="EVIDENCE",
    help="Text queries: search only this evidence, comma-separated from visual, speech, "
    "subtitles, ocr (default: all of them, fused). Without visual no model is loaded.",
)
@click.option(
    "--then",
    metavar="TEXT",
    help="Temporal order: spans where TEXT comes after the query in one video (the query, "
    "then this); each result runs from the first's start to the second's end.",
)
@click.option(
    "--max-gap",
    type=click.FloatRange(min=0.0),
    metavar="S",
    help="With --then: at most S seconds between the two (default 10).",
)
@click.option(
    "--not",
    "not_texts",
    multiple=True,
    metavar="TEXT",
    help="Leave out moments that also show TEXT (repeat), e.g. --not 'a black background'.",
)
@click.option(
    "--text-weight",
    type=click.FloatRange(min=0.0, min_open=True, max=10.0),
    metavar="W",
    help="With --image and TEXT: how far the text moves the image query (default 2).",
)
@video_filter_options
@page_options
@click.pass_obj
def search_command(
    app: AppContext,
    text: str | None,
    image: Path | None,
    batch,
    k: int,
    per_video: int | None,
    video_ids: tuple[int, ...],
    min_score: float | None,
    min_confidence: float | None,
    path_prefixes: tuple[str, ...],
    collapse_duplicates: bool,
    evidence: str | None,
    then: str | None,
    max_gap: float | None,
    not_texts: tuple[str, ...],
    text_weight: float | None,
    video_filter: VideoFilter | None,
    offset: int,
    group_by: GroupBy,
    as_json: bool,
) -> None:
    """Search the library by TEXT (any language the model knows) or by --image (with TEXT:
    the image moved by the text).

    \b
    Examples:
      vidseek search "a red circle on a blue background"
      vidseek search "una estrella amarilla" -k 5 --per-video 1
      vidseek search --image frame.jpg --json
      vidseek search --batch queries.txt > results.jsonl
      vidseek search "a dog on a beach" --path-prefix ~/holidays/ --group-by video
      vidseek search "a dog on a beach" -k 10 --offset 10
      vidseek search "a dog on a beach" --collapse-duplicates
      vidseek search '"happy birthday"' --in speech,subtitles
      vidseek search "a red circle" --then "a blue square" --max-gap 10
      vidseek search "a red circle" --not "a black background"
      vidseek search --image red_circle.png "blue"
      vidseek search "a dog" --min-height 720 --created-after 2024-01-01 --max-duration 60
    """
    _check_query(text, image, batch, then, max_gap, text_weight)
    paging = Paging(offset, k, group_by, per_video)
    options = SearchOptions(
        k=result_window(offset, k),  # pages are cut from one ranked window, as in the server
        per_video=ranking_per_video(group_by, per_video),
        video_ids=video_ids or None,
        min_score=min_score,
        min_confidence=min_confidence,
        path_prefixes=tuple(absolute_prefix(p) for p in path_prefixes) or None,
        collapse_duplicates=collapse_duplicates,
        modalities=_evidence(evidence, image),
        video_filter=video_filter,
    )
    library = app.library()  # not read-only: a rebuilt index snapshot is saved once, not per query
    if library.model is None:
        click.echo("the library is empty: index some videos first (vidseek index PATH)", err=True)
    single_query_threads()
    searcher = (
        app.searcher("images" if image is not None else "text")
        if wants_visual(options.modalities)
        else TextOnly(library)
    )
    if (then or not_texts) and isinstance(searcher, TextOnly):
        raise click.UsageError("--then and --not judge what is seen: add visual to --in")
    if batch is not None:
        for line in batch:
            query = line.strip()
            if query:
                result = _run(searcher, query, options, not_texts)
                click.echo(json.dumps(_payload(query, result, paging), ensure_ascii=False))
        return
    if image is not None:
        query = str(image) if text is None else f"{image} + {text}"
        judged = Judged(searcher.search_image(image, options, text, text_weight, not_texts))
    elif then is not None:
        query = f"{text}, then {then}"
        judged = Judged(searcher.search_then(text, then, options, max_gap, not_texts))
    else:
        query = text
        judged = searcher.search_text_judged(text, options, not_texts)
    if as_json:
        click.echo(json.dumps(_payload(query, judged, paging), ensure_ascii=False))
    elif judged.no_match is not None:
        print_no_match(judged.no_match)
    else:
        print_page(paging.page(judged.clips))


def _evidence(value: str | None, image: Path | None) -> tuple[str, ...] | None:
    try:
        modalities = parse_modalities(value)
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--in") from None
    if modalities is not None and image is not None and modalities != ("visual",):
        raise click.BadParameter("an image query searches what is seen only", param_hint="--in")
    return modalities


class TextOnly:
    """Search of the text evidence alone: needs no model."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def search_text_judged(
        self, text: str, options: SearchOptions, not_texts: Sequence[str] = ()
    ) -> Judged:
        return Judged(search_all(self.library, text, None, options))


def _check_query(
    text: str | None,
    image: Path | None,
    batch: object,
    then: str | None,
    max_gap: float | None,
    text_weight: float | None,
) -> None:
    if (batch is None) == (text is None and image is None):
        raise click.UsageError("give TEXT, --image FILE (and a TEXT to move it) or --batch FILE")
    if then is not None and (image is not None or batch is not None):
        raise click.UsageError("--then follows a TEXT query (not --image or --batch)")
    if max_gap is not None and then is None:
        raise click.UsageError("--max-gap is the gap of --then")
    if text_weight is not None and (image is None or text is None):
        raise click.UsageError("--text-weight weighs the TEXT that moves an --image query")


def _run(
    searcher: Searcher | TextOnly, query: str, options: SearchOptions, not_texts: tuple[str, ...]
) -> Judged | str:
    try:
        if not_texts:
            return searcher.search_text_judged(query, options, not_texts)  # type: ignore[call-arg]
        return searcher.search_text_judged(query, options)
    except QueryError as exc:
        return str(exc)


@dataclass(frozen=True)
class Paging:
    """Which page of the ranked window to show, and how (clips or videos)."""

    offset: int
    k: int
    group_by: GroupBy
    per_video: int | None

    def page(self, clips: list[Clip]) -> Page[Clip] | Page[VideoGroup]:
        return page_of(clips, self.offset, self.k, self.group_by, self.per_video)


def _payload(query: str, result: Judged | str, paging: Paging) -> dict[str, object]:
    if isinstance(result, str):
        return {"query": query, "results": [], "error": result}
    no_match = result.no_match.to_json() if result.no_match is not None else None
    return {"query": query, **page_json(result.clips, paging), "no_match": no_match}


def print_no_match(no_match: NoMatch) -> None:
    click.echo(
        f"no match: no moment reaches confidence {no_match.min_confidence:.2f} "
        f"(the best is {no_match.best_confidence:.2f}); "
        f"--min-confidence 0 shows the {no_match.weaker} weaker one"
        f"{'s' if no_match.weaker != 1 else ''}"
    )


def page_json(clips: list[Clip], paging: Paging) -> dict[str, object]:
    """One page of ranked clips as the JSON of ``vidseek search`` (and ``similar``)."""
    page = paging.page(clips)
    items = [_group_json(g) if isinstance(g, VideoGroup) else g.to_json() for g in page.items]
    grouped = paging.group_by == "video"
    return {
        "results": [] if grouped else items,
        "groups": items if grouped else [],
        "group_by": paging.group_by,
        "total": page.total,
        "offset": page.offset,
        "k": page.k,
        "next_offset": page.next_offset,
    }


def _group_json(group: VideoGroup) -> dict[str, object]:
    return {
        "video_id": group.video_id,
        "path": group.path,
        "score": round(group.score, 6),
        "clip_count": group.clip_count,
        "clips": [c.to_json() for c in group.clips],
    }


def timestamp(seconds: float) -> str:
    minutes, sec = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{sec:04.1f}"


def print_page(page: Page[Clip] | Page[VideoGroup]) -> None:
    if not page.items:
        click.echo("no matching clips" if page.offset == 0 else "no more results")
        return
    for rank, item in enumerate(page.items, page.offset + 1):
        if isinstance(item, VideoGroup):
            clips = f"{item.clip_count} clip{'s' if item.clip_count != 1 else ''}"
            click.echo(
                f"{rank:3d}  {item.score:6.3f}  {item.path}  (video {item.video_id}, {clips})"
            )
            for clip in item.clips:
                click.echo(f"     {clip.score:6.3f}  {_span(clip)}")
        else:
            click.echo(
                f"{rank:3d}  {item.score:6.3f}  {_span(item)}  {item.path}  (video {item.video_id})"
                f"{_evidence_note(item)}{_confidence_note(item)}"
            )
            if item.snippet:
                click.echo(f"     {_snippet_line(item.snippet)}")
            for copy in item.copies:
                click.echo(f"     copy   {_span(copy)}  {copy.path}  (video {copy.video_id})")
    if page.next_offset is not None:
        click.echo(f"more: --offset {page.next_offset}")


def _confidence_note(clip: Clip) -> str:
    if clip.confidence is None:
        return ""
    return f"  {clip.confidence_level} confidence {clip.confidence:.2f}"


def _evidence_note(clip: Clip) -> str:
    return "" if clip.matched == ["visual"] else f"  [{' '.join(clip.matched)}]"


def _snippet_line(snippet: dict[str, object]) -> str:
    at = timestamp(float(snippet["start"]))  # type: ignore[arg-type]
    language = f" ({snippet['language']})" if snippet.get("language") else ""
    return f"{snippet['kind']} at {at}{language}: {snippet['text']}"


def _span(clip: Clip | ClipCopy) -> str:
    return f"{timestamp(clip.start)}-{timestamp(clip.end)}"
