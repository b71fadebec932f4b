"""``vidseek info`` and ``vidseek models``: what the library holds and which models exist."""

from __future__ import annotations

import importlib.util
import json

import click

from vidseek.cli.commands_calibrate import calibrate_command
from vidseek.cli.context import AppContext


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
    stats = app.library(read_only=True).stats()
    model = stats.model.label if stats.model else None
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
    }
    if as_json:
        click.echo(json.dumps(payload))
        return
    click.echo(f"library   {payload['library']}")
    click.echo(f"model     {model or '(none yet: set by the first `vidseek index`)'}")
    click.echo(f"videos    {stats.videos} indexed, {stats.failed} failed")
    click.echo(f"frames    {stats.frames}")
    click.echo(f"segments  {stats.segments}")
    click.echo(f"on disk   catalog {_size(stats.catalog_bytes)}, index {_size(stats.index_bytes)}")


@click.group("models")
def models_group() -> None:
    """Models vidseek can use."""


models_group.add_command(calibrate_command)


@models_group.command("list")
def list_models() -> None:
    """List the presets and what each is good for."""
    from vidseek.core.models import list_presets

    for preset in list_presets():
        click.echo(f"{preset.name:<16} {preset.spec}\n{'':<16} {preset.description}")
    from vidseek.core.models import backends

    accelerated = ", ".join(backends.installed()) or "none (pip install 'vidseek[fast]')"
    chosen = backends.choose(backends.requested(), "cpu")
    on_torch = backends.requested() == "torch" or importlib.util.find_spec("onnxruntime") is None
    text = "torch" if on_torch else "onnxruntime (the text tower, exported on first search)"
    click.echo(f"\nquery texts run on: {text}")
    click.echo(f"image encoder backends installed: {accelerated}; on CPU this runs: {chosen}")
