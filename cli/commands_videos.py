"""``vidseek videos``: list, show and remove what the library holds."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from vidseek.cli.commands_search import timestamp
from vidseek.cli.context import AppContext


@click.group("videos")
def videos_group() -> None:
    """List, show and remove videos in the library."""


@videos_group.command("list")
@click.option("--failed", is_flag=True, help="Only files that failed, with the reason.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_videos(app: AppContext, failed: bool, as_json: bool) -> None:
    """List indexed (or failed) videos."""
    records = app.library(read_only=True).videos(status="failed" if failed else "indexed")
    for r in records:
        if as_json:
            click.echo(json.dumps(asdict(r), ensure_ascii=False))
        elif failed:
            click.echo(f"{r.id:6d}  {r.path}\n        {r.error}")
        else:
            duration = timestamp(r.duration or 0.0)
            click.echo(f"{r.id:6d}  {duration}  {r.n_segments:5d} segments  {r.path}")
    if not records and not as_json:
        click.echo("no failed files" if failed else "no videos indexed yet")


@videos_group.command("show")
@click.argument("video_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--text", "with_text", is_flag=True, help="Also print its speech, subtitles and on-screen text."
)
@click.pass_obj
def show_video(app: AppContext, video_id: int, as_json: bool, with_text: bool) -> None:
    """Show one video's metadata, segments and text evidence (done or failed, and why)."""
    library = app.library(read_only=True)
    record = library.video(video_id)
    segments = library.segments(video_id)
    evidence = library.catalog.evidence_status(video_id)
    spans = library.catalog.text_spans(video_id) if with_text else []
    if as_json:
        payload = asdict(record) | {"segments": [asdict(s) for s in segments]}
        payload["evidence"] = {kind: run.to_json() for kind, run in evidence.items()}
        if with_text:
            payload["text_spans"] = [span.to_json() for span in spans]
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    for key, value in asdict(record).items():
        click.echo(f"{key:>12}: {value}")
    click.echo(f"{'segments':>12}:")
    for s in segments:
        click.echo(f"{s.id:>14}  {timestamp(s.start)}-{timestamp(s.end)}  {s.n_frames} frames")
    click.echo(f"{'evidence':>12}:" + ("" if evidence else " none extracted"))
    for kind, run in evidence.items():
        if run.status == "failed":
            click.echo(f"{kind:>14}  failed: {run.error}")
            continue
        detail = f"{run.spans} spans" + (f" ({run.model})" if run.model else "")
        click.echo(f"{kind:>14}  done, {detail}" + (f"; {run.error}" if run.error else ""))
    for span in spans:
        lang = f" [{span.language}]" if span.language else ""
        click.echo(f"{timestamp(span.start)}-{timestamp(span.end)}  {span.kind}{lang}: {span.text}")


@videos_group.command("remove")
@click.argument("video_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def remove_videos(app: AppContext, video_ids: tuple[int, ...]) -> None:
    """Remove videos (their rows and vectors) from the library. The files are not touched."""
    library = app.library()
    for video_id in video_ids:
        path = library.video(video_id).path
        library.remove_video(video_id)
        click.echo(f"removed {video_id}  {path}")
