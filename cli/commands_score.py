"""``vidseek score``: CLIPSIM of videos for prompts, or the Fréchet CLIP distance of two folders."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from vidseek.cli.context import AppContext
from vidseek.core.errors import LibraryError

_EXISTING = click.Path(exists=True, path_type=Path)


@click.command("score")
@click.argument("video", required=False, type=_EXISTING)
@click.argument("prompt", required=False)
@click.option("--prompts", "prompts_file", type=_EXISTING, help="JSONL or CSV of video, prompt.")
@click.option("--videos", "videos_dir", type=_EXISTING, help="Folder the --prompts videos are in.")
@click.option(
    "--frechet", nargs=2, type=_EXISTING, metavar="DIR_A DIR_B",
    help="Fréchet CLIP distance between the videos of two folders.",
)  # fmt: skip
@click.option("--fps", default=1.0, show_default=True, help="Frames sampled per second of video.")
@click.option("--frames", "per_frame", is_flag=True, help="Add each frame's time and cosine.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of JSON.")
@click.pass_obj
def score_command(
    app: AppContext,
    video: Path | None,
    prompt: str | None,
    prompts_file: Path | None,
    videos_dir: Path | None,
    frechet: tuple[Path, Path] | None,
    fps: float,
    per_frame: bool,
    as_csv: bool,
) -> None:
    """Score how well videos match text prompts (CLIPSIM), or compare two folders.

    \b
      vidseek score clip.mp4 "a red circle"            one video, one prompt
      vidseek score --prompts p.jsonl --videos DIR      rows {"video": "a.mp4", "prompt": "..."}
      vidseek score --frechet generated/ reference/     frechet_clip_distance

    CLIPSIM: frames sampled at --fps by the indexing decoder, each embedded with the model's
    image tower; "clipsim" is the mean raw cosine with the prompt's text vector over frames,
    "clip_score" the mean of max(100 x cosine, 0). Output is JSON (--csv for CSV) and names
    the model: --model, else the library's own model if one exists, else vidseek-demo.
    Definitions: docs/EVAL.md.
    """
    from vidseek.evaluation import scoring

    modes = sum([video is not None, prompts_file is not None, frechet is not None])
    if modes != 1 or (video is not None and not prompt) or bool(prompts_file) != bool(videos_dir):
        raise click.UsageError(
            "give VIDEO PROMPT, or --prompts FILE --videos DIR, or --frechet DIR_A DIR_B"
        )
    if not fps > 0:
        raise click.BadParameter("must be positive", param_hint="--fps")
    try:
        encoder = scoring.load_model(_model_spec(app))
        if frechet is not None:
            result = scoring.frechet_clip_distance(*frechet, encoder=encoder, fps=fps)
            _print_frechet(result, as_csv)
            return
        if video is not None:
            scores = [scoring.score(video, prompt or "", encoder=encoder, fps=fps)]
        else:
            pairs = scoring.read_prompts(prompts_file)  # type: ignore[arg-type]
            scores = scoring.score_folder(pairs, videos_dir, encoder=encoder, fps=fps)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_scores(scores, encoder.identity.label, fps, per_frame, as_csv)


def _model_spec(app: AppContext) -> str | None:
    """--model, else the model of the library if there is one (None: the default)."""
    if app.model_spec:
        return app.model_spec
    try:
        recorded = app.library(read_only=True).model
    except LibraryError:
        return None
    return recorded.label if recorded else None


def _print_scores(scores: list, model: str, fps: float, per_frame: bool, as_csv: bool) -> None:
    if not as_csv:
        payload = {
            "metric": "clipsim",
            "model": model,
            "fps": fps,
            "results": [s.to_json(frames=per_frame) for s in scores],
            "mean_clipsim": round(sum(s.clipsim for s in scores) / len(scores), 6),
            "mean_clip_score": round(sum(s.clip_score for s in scores) / len(scores), 4),
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if per_frame:  # one row per frame
        writer.writerow(["video", "prompt", "time", "cosine", "model"])
        for s in scores:
            for t, c in zip(s.times, s.cosines, strict=True):
                writer.writerow([str(s.path), s.prompt, f"{t:.3f}", f"{c:.6f}", model])
        return
    writer.writerow(["video", "prompt", "clipsim", "clip_score", "frames", "model"])
    for s in scores:
        row = [str(s.path), s.prompt, f"{s.clipsim:.6f}", f"{s.clip_score:.4f}", len(s.cosines)]
        writer.writerow([*row, model])


def _print_frechet(result: dict, as_csv: bool) -> None:
    if not as_csv:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    a, b = result["a"], result["b"]
    header = ["metric", "value", "model", "fps"]
    values = [result["metric"], result["value"], result["model"], result["fps"]]
    for key, side in (("a", a), ("b", b)):
        header += [f"folder_{key}", f"videos_{key}", f"frames_{key}"]
        values += [side["folder"], side["videos"], side["frames"]]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(values)
