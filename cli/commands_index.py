"""``vidseek index``: add files and folders to the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vidseek.cli.context import AppContext
from vidseek.cli.index_options import index_options
from vidseek.cli.progress import Fanout, JsonLogProgress, TerminalProgress
from vidseek.indexer.parallel import ParallelExecutor
from vidseek.indexer.pipeline import IndexOptions, IndexReport, index_paths
from vidseek.indexer.ray_executor import RayExecutor, RayOptions


@click.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_options
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Decoder worker processes; with more than 1, decoding overlaps with encoding.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove library entries of files that no longer exist under PATHS "
    "(entries elsewhere are never touched; name the top folders to prune everything).",
)
@click.option(
    "--rehash",
    is_flag=True,
    help="Hash every file. By default a file whose size and modification time match the "
    "library is taken as unchanged without reading it.",
)
@click.option(
    "--log-json", is_flag=True, help="Print JSON-lines job events to stderr (for machines)."
)
@click.option(
    "--executor",
    "executor_kind",
    type=click.Choice(["inline", "ray"]),
    default="inline",
    show_default=True,
    help="Where decode + embed run: in this process (with --workers decoder processes), or "
    "as Ray tasks on a cluster (--workers then sets the number of Ray workers).",
)
@click.option(
    "--ray-address",
    envvar="RAY_ADDRESS",
    help="Ray cluster to join: auto, HOST:PORT, ray://HOST:10001, or local (start one here). "
    "Default: $RAY_ADDRESS, else a local instance.",
)
@click.pass_obj
def index_command(
    app: AppContext,
    paths: tuple[Path, ...],
    options: IndexOptions,
    progress: bool | None,
    workers: int,
    prune: bool,
    rehash: bool,
    log_json: bool,
    executor_kind: str,
    ray_address: str | None,
) -> None:
    """Index video files and folders (recursively).

    Files whose content is already indexed are skipped, so re-running on the same folder only
    embeds what is new or changed: a modified file is re-indexed, a moved or renamed one keeps
    its vectors under its new path, a copy is reported as "same content as …". A job killed at
    any point resumes where it stopped when run again. A file that cannot be decoded is
    recorded as failed with the reason, and the job goes on. Exit status is non-zero only when
    nothing could be done.
    """
    library = app.library()
    encoder = app.encoder()
    bar = TerminalProgress(False if log_json and progress is None else progress)
    events = JsonLogProgress() if log_json else None
    listener = Fanout(bar, events) if events else bar
    executor = ParallelExecutor(workers) if workers > 1 else None
    if executor_kind == "ray":
        ray_options = RayOptions(address=ray_address, workers=workers if workers > 1 else None)
        executor = RayExecutor(ray_options)
    try:
        report = index_paths(
            library, encoder, paths, options=options, progress=listener, executor=executor,
            rehash=rehash, prune=prune,
        )  # fmt: skip
    finally:
        bar.close()
    if events is not None:
        events.finished(report)
    print_summary(report)
    if report.nothing_done or not report.outcomes:
        sys.exit(1)


def print_summary(report: IndexReport) -> None:
    indexed, unchanged, failed = report.of("indexed"), report.of("unchanged"), report.of("failed")
    click.echo(
        f"indexed {len(indexed)}, unchanged {len(unchanged)}, failed {len(failed)} "
        f"({report.frames} frames in {report.seconds:.1f}s)"
    )
    moved = report.of("moved")
    if moved or report.pruned:
        click.echo(f"moved {len(moved)}, pruned {len(report.pruned)}")
    if not report.outcomes:
        click.echo("no video files found", err=True)
    for outcome in failed:
        click.echo(f"  failed: {outcome.path}: {outcome.reason}", err=True)
