"""``vidseek score`` and ``vidseek.score``: CLIPSIM of videos for prompts, and the Fréchet CLIP
distance between two folders, with the model loaded once (definitions in docs/EVAL.md)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from vidseek.core.types import Encoder
from vidseek.evaluation.clipsim import DEFAULT_FPS, VideoScore, clipsim, score_pairs
from vidseek.evaluation.frechet import METRIC as FRECHET_METRIC
from vidseek.evaluation.frechet import folder_features, frechet_of_features

VIDEO_KEYS = ("video", "path", "file", "video_id")
PROMPT_KEYS = ("prompt", "caption", "text", "sentence")


def load_model(model: str | None) -> Encoder:
    """The encoder of ``model`` (default: the bundled ``vidseek-demo``)."""
    from vidseek.core.models.factory import load_encoder
    from vidseek.core.models.presets import DEMO_MODEL

    return load_encoder(model or DEMO_MODEL)


def score(
    video: str | os.PathLike[str],
    prompt: str,
    *,
    model: str | None = None,
    fps: float = DEFAULT_FPS,
    encoder: Encoder | None = None,
) -> VideoScore:
    """CLIPSIM of one video for ``prompt``: ``.clipsim`` (mean raw cosine over frames sampled
    at ``fps``), ``.clip_score`` (100x, clamped at 0), ``.cosines`` and ``.times`` per frame."""
    return clipsim(Path(video).expanduser(), prompt, encoder or load_model(model), fps=fps)


def score_folder(
    pairs: list[tuple[str, str]],
    videos_dir: str | os.PathLike[str],
    *,
    encoder: Encoder,
    fps: float = DEFAULT_FPS,
) -> list[VideoScore]:
    """CLIPSIM of each ``(video, prompt)``; ``video`` is relative to ``videos_dir``."""
    folder = Path(videos_dir).expanduser()
    resolved = []
    for name, prompt in pairs:
        path = folder / name
        if not path.is_file():
            raise ValueError(f"{name}: no such video in {folder}")
        resolved.append((path, prompt))
    return list(score_pairs(resolved, encoder, fps=fps))


def frechet_clip_distance(
    folder_a: str | os.PathLike[str],
    folder_b: str | os.PathLike[str],
    *,
    model: str | None = None,
    fps: float = DEFAULT_FPS,
    encoder: Encoder | None = None,
) -> dict[str, object]:
    """The Fréchet distance between Gaussians fitted to the per-frame CLIP image features of
    the videos in two folders (not FVD: CLIP features, not I3D)."""
    encoder = encoder or load_model(model)
    sides = {}
    features = []
    for key, folder in (("a", folder_a), ("b", folder_b)):
        rows, videos = folder_features(Path(folder), encoder, fps=fps)
        features.append(rows)
        sides[key] = {"folder": str(folder), "videos": videos, "frames": len(rows)}
    return {
        "metric": FRECHET_METRIC,
        "value": round(frechet_of_features(*features), 6),
        "model": encoder.identity.label,
        "fps": fps,
        **sides,
    }


def read_prompts(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(video, prompt)`` rows of a JSONL file (one object per line) or a CSV file with a
    header; the video column is one of ``video, path, file, video_id`` and the prompt column
    one of ``prompt, caption, text, sentence``."""
    path = Path(path).expanduser()
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    pairs = []
    for number, row in enumerate(rows, 1):
        video = next((row[k] for k in VIDEO_KEYS if row.get(k)), None)
        prompt = next((row[k] for k in PROMPT_KEYS if row.get(k)), None)
        if video is None or prompt is None:
            raise ValueError(
                f"{path.name} row {number}: needs a video ({', '.join(VIDEO_KEYS)}) "
                f"and a prompt ({', '.join(PROMPT_KEYS)})"
            )
        pairs.append((str(video), str(prompt)))
    if not pairs:
        raise ValueError(f"{path.name}: no prompts")
    return pairs
