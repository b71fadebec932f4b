"""Named model presets: short names for the models vidseek recommends, each with its trade-off."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vidseek.data import models_dir

DEMO_MODEL = "vidseek-demo"
DEMO_PRETRAINED = "bundled"  # identity tag of the bundled weights: "vidseek-demo:bundled"
DEMO_WEIGHTS_NAME = "open_clip_model.safetensors"


@dataclass(frozen=True)
class Preset:
    """A short model name and what it expands to."""

    name: str
    spec: str  # full NAME:PRETRAINED spec (the demo preset names itself)
    description: str  # one line: what it is good at and what it costs


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            DEMO_MODEL,
            f"{DEMO_MODEL}:{DEMO_PRETRAINED}",
            "tiny bundled model (128-d, 64 px), works offline; knows only the synthetic demo world",
        ),
        Preset(
            "multilingual",
            "xlm-roberta-base-ViT-B-32:laion5b_s13b_b90k",
            "best base-size multilingual retrieval (~100 languages); ~1.4 GB, needs transformers",
        ),
        Preset(
            "nllb",
            "nllb-clip-base:v1",
            "NLLB text tower: better for low-resource languages (200), weaker on English",
        ),
        Preset(
            "english",
            "ViT-B-32:laion2b_s34b_b79k",
            "fast, strong English-only baseline (512-d); other languages retrieve poorly",
        ),
        Preset(
            "english-large",
            "ViT-L-14:datacomp_xl_s13b_b90k",
            "most accurate English model here (768-d) but ~10x slower per frame; use a GPU",
        ),
    )
}


def list_presets() -> list[Preset]:
    """All presets, in recommendation order."""
    return list(PRESETS.values())


def demo_model_dir() -> Path:
    """Folder of the bundled demo model (``$VIDSEEK_DEMO_MODEL_DIR`` overrides)."""
    override = os.environ.get("VIDSEEK_DEMO_MODEL_DIR")
    if override:
        return Path(override).expanduser().resolve()
    return models_dir() / DEMO_MODEL
