"""``vidseek check``: verify a library (catalog ↔ vector index ↔ files), optionally repair."""

from __future__ import annotations

import json
import sys

import click

from vidseek.cli.context import AppContext
from vidseek.core.check import CheckReport, check_library, repair_library
from vidseek.core.errors import CatalogError
from vidseek.core.library import Library


@click.command(
    "check",
    short_help="Verify the library (catalog, vector index, files); --repair fixes what it can.",
)
@click.option("--repair", is_flag=True, help="Fix what can be fixed from the catalog.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=None,
    help="Compare this many random index vectors with the catalog (default: all).",
)
@click.option("--no-files", is_flag=True, help="Do not look at the video files themselves.")
@click.pass_obj
def check_command(
    app: AppContext, repair: bool, as_json: bool, sample: int | None, no_files: bool
) -> None:
    """Verify the library: catalog integrity and orphan rows, the vector index snapshot
    (manifest, checksum, model, ids, vectors equal to the catalog's), left-over temp files,
    and that every entry's video file still exists with the same size. Failed entries are
    listed. Exit status 0 when clean, 1 when problems remain.

    \b
    --repair drops orphan rows, rebuilds the vector index from the catalog and removes
    temp files, then checks again. Missing or changed video files are only reported:
    `vidseek index --prune FOLDER` forgets missing ones, `vidseek index` re-indexes changed ones.
    """
    kwargs = {"sample": sample, "files": not no_files}
    try:
        with _open(app, read_only=True, notes=[]) as library:
            report = check_library(library, **kwargs)
    except CatalogError as exc:  # too damaged to open: that is the finding
        report = CheckReport()
        report.add("catalog", f"catalog: {exc.__cause__ or exc}")
    if repair and any(p.fixable for p in report.problems):
        notes: list[str] = []
        with _open(app, read_only=False, notes=notes) as library:
            done = notes + repair_library(library, report)
            report = check_library(library, **kwargs)
        report.repaired = done
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        _print(report)
    sys.exit(0 if report.clean else 1)


def _open(app: AppContext, read_only: bool, notes: list[str]) -> Library:
    return Library.open(
        app.home, catalog_url=app.catalog_url, read_only=read_only, notify=notes.append
    )


def _print(report: CheckReport) -> None:
    c = report.counts
    click.echo(
        f"{c.get('videos', 0)} videos, {c.get('failed', 0)} failed, {c.get('segments', 0)} "
        f"segments; index {c.get('index', '-')}, {c.get('vectors_compared', 0)} vectors compared"
    )
    for line in report.repaired:
        click.echo(f"repaired: {line}")
    for path, reason in report.failed:
        click.echo(f"failed entry: {path}: {reason}")
    for p in report.problems:
        hint = " (--repair fixes this)" if p.fixable and not report.repaired else ""
        click.echo(f"problem [{p.kind}]: {p.detail}{hint}")
    click.echo("clean" if report.clean else f"{len(report.problems)} problem(s)")
