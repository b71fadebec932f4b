"""``vidseek index``: add files and folders to the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from api.context import AppContext
from api.progress import TerminalProgress
from indexer.pipeline import IndexOptions, IndexReport, index_paths
from indexer.segment import SegmentOptions


@click.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--fps", default=1.0, show_default=True, help="Frames sampled per second of video.")
@click.option("--window", default=4.0, show_default=True, help="Segment length in seconds.")
@click.option("--stride", default=2.0, show_default=True, help="Seconds between segment starts.")
@click.option(
    "--shot-threshold",
    default=0.85,
    show_default=True,
    help="Cut a new shot when consecutive frames' cosine similarity drops below this.",
)
@click.option(
    "--timeout", default=600.0, show_default=True, help="Seconds before a stuck decode is killed."
)
@click.option("--batch-size", default=64, show_default=True, help="Frames per encoder batch.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@click.pass_obj
def index_command(
    app: AppContext,
    paths: tuple[Path, ...],
    fps: float,
    window: float,
    stride: float,
    shot_threshold: float,
    timeout: float,
    batch_size: int,
    progress: bool | None,
) -> None:
    """Index video files and folders (recursively).

    Files whose content is already indexed are skipped, so re-running on the same folder only
    embeds what is new or changed. A file that cannot be decoded is recorded as failed with
    the reason, and the job goes on. Exit status is non-zero only when nothing could be done.
    """
    if fps <= 0 or window <= 0 or stride <= 0:
        raise click.BadParameter("--fps, --window and --stride must be positive")
    options = IndexOptions(
        fps=fps,
        segments=SegmentOptions(window=window, stride=stride, shot_threshold=shot_threshold),
        decode_timeout=timeout,
        batch_size=batch_size,
    )
    library = app.library()
    encoder = app.encoder()
    bar = TerminalProgress(progress)
    try:
        report = index_paths(library, encoder, paths, options=options, progress=bar)
    finally:
        bar.close()
    print_summary(report)
    if report.nothing_done or not report.outcomes:
        sys.exit(1)


def print_summary(report: IndexReport) -> None:
    indexed, unchanged, failed = report.of("indexed"), report.of("unchanged"), report.of("failed")
    click.echo(
        f"indexed {len(indexed)}, unchanged {len(unchanged)}, failed {len(failed)} "
        f"({report.frames} frames in {report.seconds:.1f}s)"
    )
    if not report.outcomes:
        click.echo("no video files found", err=True)
    for outcome in failed:
        click.echo(f"  failed: {outcome.path}: {outcome.reason}", err=True)
