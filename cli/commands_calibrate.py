"""``vidseek models calibrate``: fit a model's confidence calibration (search/calibration.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("calibrate")
@click.argument("spec", metavar="MODEL", default="vidseek-demo")
@click.option(
    "--prompts",
    type=click.File("r", encoding="utf-8"),
    help="Reference captions, one per line (default: the demo vocabulary for vidseek-demo, "
    "null prompts such as 'a photo' for other models).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: the user cache, where searches with MODEL look first).",
)
@click.option("--videos", "n_videos", default=8, show_default=True, help="Videos per render.")
@click.option("--fit-seed", default=5101, show_default=True, help="Seed of the fitting render.")
@click.option(
    "--validation-seed", default=5202, show_default=True, help="Seed of the validation render."
)
@click.option("--json", "as_json", is_flag=True, help="Print the calibration as JSON.")
def calibrate_command(
    spec: str,
    prompts,
    output: Path | None,
    n_videos: int,
    fit_seed: int,
    validation_seed: int,
    as_json: bool,
) -> None:
    """Fit MODEL's confidence calibration on the demo world and save it.

    Renders two sets of demo videos (fit and validation seeds), indexes each through the real
    pipeline, searches every colour/shape/background description in five languages, labels
    the top moments by the ground truth and fits p(match) from each moment's margin over the
    reference prompts (its score minus its best score against them), with its raw score too
    when that does better on the validation render. The default cut-off is the lowest at which
    95 % of the fitting render's queries for absent things return nothing (present queries keep
    all they can). The file is tied to the model's
    identity (weights digest): re-run after the weights change. A few minutes on two cores.

    \b
    Examples:
      vidseek models calibrate vidseek-demo -o data/models/vidseek-demo/calibration.json
      vidseek models calibrate ViT-B-32:laion2b_s34b_b79k --prompts null-prompts.txt
    """
    from vidseek.core.models import load_encoder
    from vidseek.evaluation.calibrate import calibrate_demo
    from vidseek.search.calibration import NULL_PROMPTS, cache_path, save_calibration

    encoder = load_encoder(spec)
    reference = None
    if prompts is not None:
        reference = tuple(line.strip() for line in prompts if line.strip())
        if not reference:
            raise click.UsageError("--prompts: the file holds no prompt")
    elif encoder.identity.name != "vidseek-demo":
        reference = NULL_PROMPTS
    calibration = calibrate_demo(
        encoder,
        fit_seed=fit_seed,
        validation_seed=validation_seed,
        n_videos=n_videos,
        prompts=reference,
        notify=lambda message: click.echo(message, err=True),
    )
    path = save_calibration(calibration, output or cache_path(encoder.identity))
    if as_json:
        click.echo(json.dumps(calibration.to_json(), ensure_ascii=False))
        return
    validation = calibration.fitted_on["validation"]
    click.echo(f"wrote {path}")
    click.echo(
        f"p(match) = sigmoid({calibration.w_score:.3f} * score + "
        f"{calibration.w_margin:.3f} * margin + {calibration.intercept:.3f}); "
        f"cut-off {calibration.threshold}"
    )
    for kind in ("full", "short"):
        if kind in validation:
            v = validation[kind]
            click.echo(
                f"validation ({kind} descriptions): absent -> nothing "
                f"{v['absent_return_nothing']}, present R@1 {v['present_r1']}"
            )
