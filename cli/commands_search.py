"""``vidseek search``: find the moments that match a text, an image, or a file of queries."""

from __future__ import annotations

import json
from pathlib import Path

import click
from vidseek.cli.context import AppContext
from vidseek.core.errors import QueryError
from vidseek.core.types import Clip
from vidseek.search.query import Searcher, SearchOptions


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
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
    as_json: bool,
) -> None:
    """Search the library by TEXT (any language the model knows) or by --image.

    \b
    Examples:
      vidseek search "a red circle on a blue background"
      vidseek search "una estrella amarilla" -k 5 --per-video 1
      vidseek search --image frame.jpg --json
      vidseek search --batch queries.txt > results.jsonl
    """
    given = [x is not None for x in (text, image, batch)]
    if sum(given) != 1:
        raise click.UsageError("give exactly one of TEXT, --image FILE or --batch FILE")
    options = SearchOptions(
        k=k, per_video=per_video, video_ids=video_ids or None, min_score=min_score
    )
    library = app.library()  # not read-only: a rebuilt index snapshot is saved once, not per query
    if library.model is None:
        click.echo("the library is empty: index some videos first (vidseek index PATH)", err=True)
    searcher = Searcher(library, app.encoder())
    if batch is not None:
        for line in batch:
            query = line.strip()
            if query:
                click.echo(
                    json.dumps(_payload(query, _run(searcher, query, options)), ensure_ascii=False)
                )
        return
    query = text if text is not None else str(image)
    clips = (
        searcher.search_text(text, options)
        if text is not None
        else searcher.search_image(image, options)
    )
    if as_json:
        click.echo(json.dumps(_payload(query, clips), ensure_ascii=False))
    else:
        print_clips(clips)


def _run(searcher: Searcher, query: str, options: SearchOptions) -> list[Clip] | str:
    try:
        return searcher.search_text(query, options)
    except QueryError as exc:
        return str(exc)


def _payload(query: str, result: list[Clip] | str) -> dict[str, object]:
    if isinstance(result, str):
        return {"query": query, "results": [], "error": result}
    return {"query": query, "results": [c.to_json() for c in result]}


def timestamp(seconds: float) -> str:
    minutes, sec = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{sec:04.1f}"


def print_clips(clips: list[Clip]) -> None:
    if not clips:
        click.echo("no matching clips")
        return
    for rank, clip in enumerate(clips, 1):
        span = f"{timestamp(clip.start)}-{timestamp(clip.end)}"
        click.echo(f"{rank:3d}  {clip.score:6.3f}  {span}  {clip.path}  (video {clip.video_id})")
