"""``vidseek eval``: standard retrieval metrics of a model over annotated videos."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vidseek.cli.context import AppContext
from vidseek.cli.index_options import index_options
from vidseek.cli.progress import TerminalProgress
from vidseek.evaluation.annotations import FORMATS, read_annotations
from vidseek.evaluation.evaluate import EvalSettings, evaluate
from vidseek.evaluation.report import load_report, print_comparison, print_report, write_plot
from vidseek.indexer.pipeline import IndexOptions

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("eval")
@click.option(
    "--annotations",
    "annotations_path",
    type=_FILE,
    required=True,
    help="Annotation file: MSR-VTT CSV/JSON, Charades-STA txt, or vidseek JSONL.",
)
@click.option(
    "--videos",
    "videos_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of the videos; annotation ids match file names without extension.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Annotation format. Default: from the file extension.",
)
@click.option(
    "--model",
    "model_spec",
    help="Model as NAME[:PRETRAINED] or a preset. Default: the --library's model, "
    "else the top-level --model, else vidseek-demo.",
)
@click.option(
    "--library",
    "library_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index into (and keep) this library. Default: a temporary one, deleted after.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the JSON report to this file (for a later --compare).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a PNG of recall@K for this run and the --compare runs.",
)
@click.option("--label", help="Name of this run in tables and plots. Default: the model label.")
@click.option(
    "--compare",
    "compare_paths",
    type=_FILE,
    multiple=True,
    help="Earlier JSON report to show side by side (repeat).",
)
@index_options
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@click.pass_obj
def eval_command(
    app: AppContext,
    annotations_path: Path,
    videos_dir: Path,
    fmt: str | None,
    model_spec: str | None,
    library_dir: Path | None,
    as_json: bool,
    output: Path | None,
    plot: Path | None,
    label: str | None,
    compare_paths: tuple[Path, ...],
    options: IndexOptions,
    progress: bool | None,
) -> None:  # fmt: skip
    """Measure retrieval quality on annotated videos, through the real index and search path.

    Video retrieval (captions per video): text→video and video→text R@1/5/10, median and mean
    rank. Moment retrieval (text per time span): R@1 and R@5 at IoU 0.5 and 0.7, and mean IoU
    of the top clip, searching only the query's video. Per language when texts carry a tag.

    \b
    Examples:
      vidseek eval --annotations MSRVTT_JSFUSION_test.csv --videos MSRVTT/videos/all \\
          --model ViT-B-16:openai --window 1000 --stride 1000 --shot-threshold -1
      vidseek eval --annotations charades_sta_test.txt --videos Charades_v1
      vidseek eval --annotations my.jsonl --videos clips --json -o a.json
      vidseek eval --annotations my.jsonl --videos clips --model english \\
          --compare a.json --plot recall.png
    """
    compared = [load_report(p) for p in compare_paths]
    annotations = read_annotations(annotations_path, fmt)
    settings = EvalSettings(
        model_spec=model_spec or app.model_spec,
        library=library_dir,
        catalog_url=app.catalog_url,
        index=options,
        label=label,
    )
    bar = TerminalProgress(progress)
    try:
        report = evaluate(
            annotations,
            videos_dir,
            settings,
            annotations_name=annotations_path.name,
            progress=bar,
            notify=lambda message: click.echo(f"note: {message}", err=True),
        )
    finally:
        bar.close()
    text = json.dumps(report, ensure_ascii=False)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
    if plot is not None:
        write_plot([report, *compared], plot)
    if as_json:
        click.echo(text)
        return
    print_report(report, click.echo)
    if compared:
        print_comparison([report, *compared], click.echo)
    if plot is not None:
        click.echo(f"plot written to {plot}")
