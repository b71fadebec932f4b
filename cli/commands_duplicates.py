"""``vidseek duplicates``: videos that are copies of each other, and clips two videos share."""

from __future__ import annotations

import json

import click

from vidseek.cli.commands_search import timestamp
from vidseek.cli.context import AppContext, single_query_threads
from vidseek.search.duplicates import DuplicateOptions, DuplicateReport

DEFAULTS = DuplicateOptions()


@click.command("duplicates")
@click.option(
    "--min-similarity",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULTS.min_similarity,
    show_default=True,
    help="Cosine similarity two aligned frames need to count as the same picture.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULTS.min_coverage,
    show_default=True,
    help="A copy's aligned part covers at least this fraction of both videos.",
)
@click.option(
    "--min-shared",
    type=click.FloatRange(0.0, min_open=True),
    default=DEFAULTS.min_shared,
    show_default=True,
    help="A clip two videos share lasts at least this many seconds.",
)
@click.option("--fresh", is_flag=True, help="Find them all again instead of updating the last run.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def duplicates_command(
    app: AppContext,
    min_similarity: float,
    min_coverage: float,
    min_shared: float,
    fresh: bool,
    as_json: bool,
) -> None:
    """List videos that are copies of each other, and clips that two videos share.

    \b
    Copies are re-encodes, resizes, crops and trims of one video; a shared clip is a part of
    one video shown inside another. Each comes with its time offset: t_other = t + offset.
    Found from the stored vectors (no model loaded): candidates from the vector index, then
    aligned frame by frame. The result is kept in the library and updated for new videos.
    Examples:
      vidseek duplicates
      vidseek duplicates --json > duplicates.json
      vidseek duplicates --min-similarity 0.95 --min-shared 10
    """
    single_query_threads()
    report = app.duplicates(min_similarity, min_coverage, min_shared, fresh=fresh)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print_report(report)


def print_report(report: DuplicateReport) -> None:
    data = report.to_json()
    if not data["copies"] and not data["shared_clips"]:
        click.echo(f"no duplicates among {report.videos} videos")
        return
    for i, group in enumerate(data["copies"], 1):
        count = len(group["videos"])
        click.echo(f"copies {i}: {count} videos, similarity {group['similarity']:.3f}")
        for v in group["videos"]:
            click.echo(f"  {v['offset']:+8.1f} s  {v['path']}  (video {v['video_id']})")
    for i, clip in enumerate(data["shared_clips"], 1):
        click.echo(
            f"shared clip {i}: {clip['duration']:.1f} s, offset {clip['offset']:+.1f} s, "
            f"similarity {clip['similarity']:.3f}"
        )
        for m in clip["moments"]:
            span = f"{timestamp(m['start'])}-{timestamp(m['end'])}"
            click.echo(f"  {span}  {m['path']}  (video {m['video_id']})")
    groups, clips = len(data["copies"]), len(data["shared_clips"])
    click.echo(
        f"{groups} group{'s' if groups != 1 else ''} of copies, "
        f"{clips} shared clip{'s' if clips != 1 else ''} among {report.videos} videos "
        "(offset: t in that video = t in the first + offset)"
    )
