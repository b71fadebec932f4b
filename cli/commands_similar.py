"""``vidseek similar``: moments that look like a moment of an indexed video (no model loaded)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vidseek.cli.commands_search import Paging, page_json, page_options, print_page
from vidseek.cli.context import AppContext, single_query_threads
from vidseek.core.errors import VideoNotFound
from vidseek.core.library import Library
from vidseek.core.types import Clip
from vidseek.search.grouping import GroupBy
from vidseek.search.paging import result_window
from vidseek.search.query import SearchOptions
from vidseek.search.results import ranking_per_video
from vidseek.search.similar import search_similar


@click.command("similar")
@click.argument("video")
@click.option("--start", type=float, help="Start of the moment, in seconds (default: 0).")
@click.option("--end", type=float, help="End of the moment, in seconds (default: the end).")
@click.option("-k", "--top", "k", default=10, show_default=True, help="Number of clips.")
@click.option("--per-video", type=int, help="At most this many clips of one video.")
@click.option(
    "--include-source",
    is_flag=True,
    help="Also return moments of VIDEO itself (left out by default).",
)
@click.option("--min-score", type=float, help="Drop clips with a lower cosine similarity.")
@page_options
@click.pass_obj
def similar_command(
    app: AppContext,
    video: str,
    start: float | None,
    end: float | None,
    k: int,
    per_video: int | None,
    include_source: bool,
    min_score: float | None,
    offset: int,
    group_by: GroupBy,
    as_json: bool,
) -> None:
    """Find moments similar to a moment of VIDEO (an id or an indexed file's path).

    \b
    The moment is VIDEO from --start to --end (the whole video when not given); its vector
    is the mean of the stored segment vectors there, so no model is loaded.
    Examples:
      vidseek similar 12 --start 30 --end 40
      vidseek similar ~/Videos/beach.mp4 -k 5 --json
      vidseek similar 12 --group-by video --include-source
    """
    library = app.library()
    video_id = resolve_video(library, video)
    paging = Paging(offset, k, group_by, per_video)
    options = SearchOptions(
        k=result_window(offset, k),
        per_video=ranking_per_video(group_by, per_video),
        min_score=min_score,
    )
    single_query_threads()
    clips = search_similar(library, video_id, start, end, options, include_source)
    if as_json:
        source = {"video_id": video_id, "path": library.video(video_id).path}
        source |= {"start": start, "end": end, "include_source": include_source}
        click.echo(json.dumps(payload(source, clips, paging), ensure_ascii=False))
    else:
        print_page(paging.page(clips))


def resolve_video(library: Library, video: str) -> int:
    """The id of VIDEO: a number that is a video id, else the path of an indexed file."""
    if video.isdigit():
        video_id = int(video)
        try:
            library.video(video_id)
            return video_id
        except VideoNotFound:
            pass  # a file named "12" in this folder, perhaps
    path = Path(video).expanduser()
    record = library.find_video_by_path(str(path.resolve()))
    if record is None:
        record = library.find_video_by_path(str(path.absolute()))
    if record is None:
        raise VideoNotFound(f"no video with id or indexed path {video!r}")
    return record.id


def payload(source: dict[str, object], clips: list[Clip], paging: Paging) -> dict[str, object]:
    return {"source": source, **page_json(clips, paging)}
