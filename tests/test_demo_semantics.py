"""The bundled demo model finds the right moment for a sentence, in five languages.

Videos are generated from seeds never used in training and go through the real pipeline:
decode → embed → segment → pool → index → search.
"""

import json
import random
from collections import defaultdict
from pathlib import Path

import pytest

from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.demo.render import write_video
from vidseek.demo.world import LANGUAGES, describe, random_scenes
from vidseek.evaluation.metrics import temporal_iou
from vidseek.indexer.pipeline import index_paths
from vidseek.search.query import Searcher, SearchOptions

HELD_OUT_SEED = 90_210  # training uses seeds below 10_000
VARIANTS = [  # (container, width, height, fps, variable frame rate)
    ("mp4", 320, 240, 25, False),
    ("webm", 480, 270, 30, False),
    ("mkv", 180, 320, 24, True),  # portrait, VFR
    ("avi", 240, 240, 12, False),
    ("mov", 640, 360, 60, False),
    ("mp4", 200, 356, 30, True),  # portrait, VFR
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heldout")
    rng = random.Random(HELD_OUT_SEED)
    truths = {}
    for i, (fmt, w, h, fps, vfr) in enumerate(VARIANTS):
        path = folder / f"held_{i}.{fmt}"
        scenes = random_scenes(rng, rng.uniform(16.0, 22.0))
        write_video(path, scenes, width=w, height=h, fps=fps, fmt=fmt, vfr=vfr, seed=i)
        truths[str(path.resolve())] = json.loads(Path(f"{path}.json").read_text())["scenes"]
    library = Library.open(tmp_path_factory.mktemp("lib"))
    encoder = load_encoder("vidseek-demo")
    report = index_paths(library, encoder, [folder])
    assert len(report.of("indexed")) == len(VARIANTS), report.outcomes
    yield Searcher(library, encoder), truths
    library.close()


def _best_scene(scenes: list[dict], start: float, end: float) -> dict:
    return max(scenes, key=lambda s: temporal_iou((start, end), (s["start"], s["end"])))


def test_text_finds_the_right_scene_in_every_language(world):
    searcher, truths = world
    hits, ious, total = defaultdict(int), [], defaultdict(int)
    for scenes in truths.values():
        for scene in scenes:
            key = (scene["shape"], scene["color"], scene["background"])
            for lang in LANGUAGES:
                text = describe(*key, lang=lang)  # ranking only: no confidence cut-off
                clip = searcher.search_text(text, SearchOptions(k=1, min_confidence=0))[0]
                found = _best_scene(truths[clip.path], clip.start, clip.end)
                total[lang] += 1
                if (found["shape"], found["color"], found["background"]) == key:
                    hits[lang] += 1
                    truth = (found["start"], found["end"])
                    ious.append(temporal_iou((clip.start, clip.end), truth))
                else:
                    ious.append(0.0)
    recall = {lang: hits[lang] / total[lang] for lang in LANGUAGES}
    assert recall["en"] >= 0.95, recall
    assert all(recall[lang] >= 0.90 for lang in LANGUAGES), recall
    assert sum(iou >= 0.5 for iou in ious) / len(ious) >= 0.90


def test_shape_and_colour_queries_find_that_shape_and_colour(world):
    searcher, truths = world
    present = {(s["shape"], s["color"]) for scenes in truths.values() for s in scenes}
    correct = 0
    for shape, color in sorted(present):
        text = describe(shape, color, lang="en")
        clip = searcher.search_text(text, SearchOptions(k=1, min_confidence=0))[0]
        found = _best_scene(truths[clip.path], clip.start, clip.end)
        correct += (found["shape"], found["color"]) == (shape, color)
    # 16 of 17 with the shipped weights (the first release: 17, the 128 px one: 15): this
    # renderer's axis-aligned squares filling half a portrait frame's width can lose to a
    # circle of that colour; MODEL_CARD.md, "Limitations"
    assert correct / len(present) >= 0.9
