"""A model's confidence calibration: data tied to one model identity, kept as a small JSON file.

``vidseek models calibrate MODEL`` fits it (``evaluation/calibrate.py``) and writes
``calibration.json`` next to the bundled demo model, or into
``$VIDSEEK_CACHE_DIR/calibration/`` for any other model. A calibration whose recorded model
identity differs from the encoder's (new weights) is ignored, and the uncalibrated fallback
is used instead: see ``fallback_calibration``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vidseek.core.errors import VidseekError
from vidseek.core.types import ModelIdentity

CALIBRATION_FILE = "calibration.json"
FORMAT_VERSION = 1
DEFAULT_THRESHOLD = 0.5  # a calibrated probability: "more likely a match than not"
DEFAULT_HIGH = 0.8
CLIP_LOGIT_SCALE = 100.0  # CLIP's learned temperature saturates at 100 (open_clip clamps it)

# Captions that describe nothing in particular. A query that fits a moment better than all of
# them is probably about that moment (the zero-shot trick of CLIP's paper, as a 2-way softmax).
NULL_PROMPTS = (
    "a photo",
    "an image",
    "a video",
    "a frame of a video",
    "a picture of something",
    "something",
    "nothing",
    "a screenshot",
    "a blurry photo",
    "a photo of an object",
    "a photo of a scene",
)


@dataclass(frozen=True)
class Calibration:
    """p(match) = sigmoid(w_score * score + w_margin * margin + intercept), where ``score`` is
    the moment's cosine similarity to the query and ``margin`` that score minus the best
    similarity of the same moment to any of ``prompts`` (reference captions) but those whose
    text is within ``synonym_cosine`` of the query's."""

    model: dict[str, Any]  # the ModelIdentity this was fitted for (asdict)
    prompts: tuple[str, ...]
    w_score: float
    w_margin: float
    intercept: float
    threshold: float = DEFAULT_THRESHOLD  # the default cut-off
    high: float = DEFAULT_HIGH  # confidence at or above this is "high"
    # prompts whose text is at least this close to the query's (cosine) say the same thing or
    # more ("a red circle on a blue background" for "a red circle"): they do not compete
    synonym_cosine: float | None = None
    method: str = "logistic"  # or "null-prompts" (the uncalibrated fallback)
    fitted_on: dict[str, Any] = field(default_factory=dict)  # provenance and validation

    def probability(self, score: float, margin: float) -> float:
        z = self.w_score * score + self.w_margin * margin + self.intercept
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))

    def level(self, confidence: float) -> str:
        if confidence >= self.high:
            return "high"
        return "medium" if confidence >= self.threshold else "low"

    def fits(self, identity: ModelIdentity) -> bool:
        return self.model == asdict(identity) or self.model == _json_roundtrip(identity)

    def to_json(self) -> dict[str, Any]:
        out = {"version": FORMAT_VERSION, **asdict(self)}
        out["prompts"] = list(self.prompts)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Calibration:
        if raw.get("version") != FORMAT_VERSION:
            raise VidseekError(f"calibration format {raw.get('version')!r} is not supported")
        fields = {k: v for k, v in raw.items() if k != "version"}
        fields["prompts"] = tuple(fields["prompts"])
        return cls(**fields)


def _json_roundtrip(identity: ModelIdentity) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(identity)))


def fallback_calibration(identity: ModelIdentity) -> Calibration:
    """For a model nobody calibrated: the probability that the query beats the best null
    prompt in a 2-way softmax at CLIP's temperature, sigmoid(100 * (score - best null))."""
    return Calibration(
        model=_json_roundtrip(identity),
        prompts=NULL_PROMPTS,
        w_score=0.0,
        w_margin=CLIP_LOGIT_SCALE,
        intercept=0.0,
        method="null-prompts",
        fitted_on={"note": "uncalibrated: run `vidseek models calibrate` for this model"},
    )


def calibration_paths(identity: ModelIdentity) -> list[Path]:
    """Where a calibration for ``identity`` is looked for, first found wins: the user cache
    (what ``vidseek models calibrate`` writes), then next to the bundled demo model."""
    paths = [cache_path(identity)]
    if identity.name == "vidseek-demo":
        from vidseek.core.models.presets import demo_model_dir

        paths.append(demo_model_dir() / CALIBRATION_FILE)
    return paths


def cache_path(identity: ModelIdentity) -> Path:
    from vidseek.core.models.export import cache_root

    digest = hashlib.sha256(identity.to_json().encode()).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in identity.name)
    return cache_root() / "calibration" / f"{safe}-{digest}.json"


def load_calibration(identity: ModelIdentity) -> Calibration | None:
    """The calibration fitted for exactly this model identity, or None."""
    for path in calibration_paths(identity):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            raise VidseekError(f"unreadable calibration file {path}: {exc}") from exc
        calibration = Calibration.from_json(raw)
        if calibration.fits(identity):
            return calibration
    return None


def save_calibration(calibration: Calibration, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(calibration.to_json(), indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path
