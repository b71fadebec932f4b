"""``vidseek info`` and ``vidseek models``: what the library holds and which models exist."""

from __future__ import annotations

import importlib.util
import json

import click

from vidseek.cli.commands_calibrate import calibrate_command
from vidseek.cli.context import AppContext
from vidseek.indexer.evidence import DEFAULT_KINDS, library_kinds


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@click.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def info_command(app: AppContext, as_json: bool) -> None:
    """Show the library's location, model, counts and sizes on disk."""
    library = app.library(read_only=True)
    stats = library.stats()
    model = stats.model.label if stats.model else None
    spans = {k: library.catalog.count_text_spans(k) for k in ("speech", "subtitle", "ocr")}
    kinds = library_kinds(library.catalog)
    payload = {
        "library": str(stats.home),
        "model": model,
        "dim": stats.model.dim if stats.model else None,
        "videos": stats.videos,
        "failed": stats.failed,
        "frames": stats.frames,
        "segments": stats.segments,
        "catalog_bytes": stats.catalog_bytes,
        "index_bytes": stats.index_bytes,
        "text_spans": spans,
        "evidence": list(kinds if kinds is not None else DEFAULT_KINDS),
    }
    if as_json:
        click.echo(json.dumps(payload))
        return
    click.echo(f"library   {payload['library']}")
    click.echo(f"model     {model or '(none yet: set by the first `vidseek index`)'}")
    click.echo(f"videos    {stats.videos} indexed, {stats.failed} failed")
    click.echo(f"frames    {stats.frames}")
    click.echo(f"segments  {stats.segments}")
    counted = ", ".join(f"{k} {n}" for k, n in spans.items())
    click.echo(
        f"text      {counted} spans (extracting: {', '.join(payload['evidence']) or 'none'})"
    )
    click.echo(f"on disk   catalog {_size(stats.catalog_bytes)}, index {_size(stats.index_bytes)}")


@click.group("models")
def models_group() -> None:
    """Models vidseek can use."""


models_group.add_command(calibrate_command)


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per preset.")
def list_models(as_json: bool) -> None:
    """List the presets: size, image cost, published results and what runs them.

    PARAMS counts both towers; IMAGE GFLOPS is one frame at the model's input size, one per
    multiply-add (open_clip's convention), measured by scripts/measure_presets.py. CONTEXT
    is the text tokens a query is cut to (a longer query is cut with a warning). TEXT ON is
    what embeds queries here; frames run on the backend named at the end (torch on a GPU).
    Each published number names its source. Use a preset with --model NAME.
    """
    from vidseek.core.models import backends
    from vidseek.core.models.preset_info import preset_rows

    rows = preset_rows()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    click.echo(f"{'PRESET':<19}{'PARAMS':>8}{'IMAGE GFLOPS':>14}{'CONTEXT':>9}{'DIM':>6}"
               f"  {'TEXT ON':<13}LANGUAGES")  # fmt: skip
    for row in rows:
        click.echo(
            f"{row['name']:<19}{_millions(row['params']):>8}{row['image_gflops']:>14.4g}"
            f"{row['context_length']:>9}{row['embed_dim']:>6}  {row['backends']['text']:<13}"
            f"{row['languages']}"
        )
        click.echo(f"  {row['spec']}: {row['description']}")
        for metric in row["metrics"]:
            click.echo(f"    {metric['benchmark']}: {metric['value']:g}  [{metric['source']}]")
    accelerated = ", ".join(backends.installed()) or "none (pip install 'vidseek[fast]')"
    chosen = backends.choose(backends.requested(), "cpu")
    on_torch = backends.requested() == "torch" or importlib.util.find_spec("onnxruntime") is None
    text = "torch" if on_torch else (
        "onnxruntime (the text tower, exported on first search); torch for Hugging Face "
        "tokenizers (NLLB, XLM-V)"
    )  # fmt: skip
    click.echo(f"\nquery texts run on: {text}")
    click.echo(f"image encoder backends installed: {accelerated}; on CPU this runs: {chosen}")


def _millions(n: int) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"
