"""Fusion rules measured: one text query over what is seen and what is said or written.

A demo world (random scenes: a coloured shape on a coloured background) is indexed with the
bundled ``vidseek-demo`` CLIP. Each scene is narrated by one speech span with word times:
most narrations talk about what the scene shows, in one of several phrasings (some with the
colour and shape side by side, "a red circle", some apart, "this circle is red"); some talk
about something else (said but not seen). Some scenes carry an on-screen sign with the
shape's name. The labels are the world's ground truth.

Queries:
- ``words``: "<colour> <shape>" for every pair present. A scene's gain is 2 when it shows the
  pair and its narration or sign names both words, 1 when only one of the two holds (it shows
  it, or it is said/written there), else 0.
- ``sentence``: a whole narration sentence (an exact spoken phrase); the relevant moment is
  its scene, which must come first.

For each rule (the visual ranking alone, the keyword ranking alone, ``rrf``, ``score`` with
several text weights) it prints nDCG@10, R@1 (first result has gain 2 / is the sentence's
scene) and MRR of the first gain-2 result, plus query latency. A result counts for the scene
holding its start time; repeats of a scene gain nothing.

    .venv/bin/python -m bench.fusion [--videos 24] [--seeds 3 4 5] [--model vidseek-demo]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import print_machine
from vidseek.core.types import TextSpan
from vidseek.demo.render import generate_library
from vidseek.search.fusion import search_all
from vidseek.search.query import SearchOptions
from vidseek.session import open_library

K = 10
PHRASINGS_TOGETHER = ("look, {a} {color} {shape} appears", "now we see {a} {color} {shape} here")
PHRASINGS_APART = ("this {shape} is {color} today", "the {shape} we see is painted {color}")
SIGN = "{shape}"
SAID_NOT_SEEN = 0.3  # share of narrations about something else than the scene shows
RUNS = [
    ("visual only", "visual", None, 0.0),
    ("keywords only", "text", "score", 1.0),
    ("rrf", "all", "rrf", 0.0),
    ("score w=0.25", "all", "score", 0.25),
    ("score w=1", "all", "score", 1.0),
    ("score w=4", "all", "score", 4.0),
]


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def narrate(rng: random.Random, scene: dict, colors: list[str], shapes: list[str]) -> str:
    color, shape = scene["color"], scene["shape"]
    if rng.random() < SAID_NOT_SEEN:
        color, shape = rng.choice([c for c in colors if c != color]), rng.choice(shapes)
    template = rng.choice(PHRASINGS_TOGETHER if rng.random() < 0.5 else PHRASINGS_APART)
    return template.format(a=article(color), color=color, shape=shape)


def timed_words(sentence: str, start: float, end: float) -> list[tuple[float, float, str]]:
    words = sentence.split()
    step = (end - start) / len(words)
    return [(start + i * step, start + (i + 1) * step, " " + w) for i, w in enumerate(words)]


def build_world(folder: Path, n_videos: int, seed: int):
    paths = generate_library(
        folder, n_videos, seed=seed, duration=(8.0, 14.0), size=(160, 120), fps=8
    )
    return {str(p.resolve()): json.loads(Path(f"{p}.json").read_text())["scenes"] for p in paths}


def add_evidence(library, truth: dict[str, list[dict]], seed: int) -> dict[tuple[int, int], dict]:
    """Speech (and some signs) for every scene; returns (video id, scene index) → labels."""
    from vidseek.demo.world import COLORS, SHAPES

    rng = random.Random(seed)
    labels: dict[tuple[int, int], dict] = {}
    for video in library.videos(status="indexed"):
        scenes = truth[video.path]
        speech, signs = [], []
        for i, scene in enumerate(scenes):
            start, end = scene["start"] + 0.3, min(scene["end"], scene["start"] + 2.8)
            sentence = narrate(rng, scene, list(COLORS), list(SHAPES))
            speech.append(
                TextSpan(
                    "speech", start, end, sentence, "en", words=timed_words(sentence, start, end)
                )
            )
            sign = None
            if rng.random() < 0.3:
                sign = SIGN.format(shape=scene["shape"]).upper()
                signs.append(TextSpan("ocr", scene["start"], scene["end"], sign))
            labels[(video.id, i)] = {**scene, "said": sentence, "sign": sign}
        library.catalog.replace_text_spans(video.id, "speech", speech)
        library.catalog.replace_text_spans(video.id, "ocr", signs)
    return labels


def scene_of(labels, video_id: int, t: float) -> int | None:
    for (vid, i), scene in labels.items():
        if vid == video_id and scene["start"] - 1e-6 <= t < scene["end"]:
            return i
    return None


def gain(scene: dict, color: str, shape: str) -> int:
    seen = scene["color"] == color and scene["shape"] == shape
    text = f"{scene['said']} {scene['sign'] or ''}".lower().split()
    told = color in text and shape in text
    return int(seen) + int(told)


def ndcg(gains: list[int], ideal: list[int]) -> float:
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:K]))
    best = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(ideal, reverse=True)[:K]))
    return dcg / best if best else 0.0


def run_query(library, embed, query: str, mode: str, rule: str | None, weight: float):
    modalities = {"visual": ("visual",), "text": ("speech", "subtitle", "ocr"), "all": None}[mode]
    vector = embed(query) if mode != "text" else None
    options = SearchOptions(k=K, modalities=modalities)
    t0 = time.perf_counter()
    clips = search_all(library, query, vector, options, rule=rule or "score", text_weight=weight)
    return clips, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument(
        "--model",
        default="vidseek-demo",
        help="vidseek-demo (sight is strong in its own world) or vidseek-demo:random (sight "
        "is noise, as when a model does not know the footage)",
    )
    args = parser.parse_args()
    print_machine(f"model {args.model}, {args.videos} videos per seed, seeds {args.seeds}")
    rows: dict[str, list[list[float]]] = {}
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            truth = build_world(Path(tmp) / "media", args.videos, seed)
            with open_library(Path(tmp) / "lib", model=args.model) as session:
                session.index([Path(tmp) / "media"])
                library = session.library()
                labels = add_evidence(library, truth, seed)
                searcher = session.searcher("text")
                for name, row in evaluate(library, searcher.embed_text, labels).items():
                    rows.setdefault(name, []).append(row)
    print(f"\nmean over {len(args.seeds)} seeds")
    print(f"{'rule':16} {'nDCG@10':>8} {'R@1':>6} {'MRR':>6} {'sent R@1':>9} {'ms/query':>9}")
    for name, runs in rows.items():
        mean = [statistics.mean(col) for col in zip(*runs, strict=True)]
        print(
            f"{name:16} {mean[0]:8.3f} {mean[1]:6.3f} {mean[2]:6.3f} {mean[3]:9.3f} {mean[4]:9.1f}"
        )


def evaluate(library, embed, labels) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    embed("warm up")
    search_all(library, "warm up", embed("warm up"), SearchOptions(k=K))
    pairs = sorted({(s["color"], s["shape"]) for s in labels.values()})
    sentences = sorted({(s["said"], key) for key, s in labels.items()})
    print(f"{len(labels)} scenes, {len(pairs)} word queries, {len(sentences)} sentence queries\n")
    print(f"{'rule':16} {'nDCG@10':>8} {'R@1':>6} {'MRR':>6} {'sent R@1':>9} {'ms/query':>9}")
    for name, mode, rule, weight in RUNS:
        ndcgs, r1, rr, times = [], [], [], []
        for color, shape in pairs:
            query = f"{color} {shape}"
            clips, took = run_query(library, embed, query, mode, rule, weight)
            times.append(took)
            seen: set[tuple[int, int]] = set()
            gains = []
            for c in clips:
                i = scene_of(labels, c.video_id, c.start)
                key = (c.video_id, i)
                gains.append(0 if i is None or key in seen else gain(labels[key], color, shape))
                seen.add(key)
            ideal = [gain(s, color, shape) for s in labels.values()]
            ndcgs.append(ndcg(gains, ideal))
            if 2 in ideal:
                r1.append(float(bool(gains) and gains[0] == 2))
                rr.append(next((1 / (j + 1) for j, g in enumerate(gains) if g == 2), 0.0))
        sent_r1 = []
        for sentence, (vid, i) in sentences:
            clips, took = run_query(library, embed, sentence, mode, rule, weight)
            times.append(took)
            first = clips[0] if clips else None
            hit = (
                first is not None
                and first.video_id == vid
                and scene_of(labels, vid, first.start) == i
            )
            # several scenes may share a sentence: any of them is right
            if first is not None and not hit:
                j = scene_of(labels, first.video_id, first.start)
                hit = j is not None and labels[(first.video_id, j)]["said"] == sentence
            sent_r1.append(float(hit))
        row = [statistics.mean(ndcgs), statistics.mean(r1), statistics.mean(rr)]
        row += [statistics.mean(sent_r1), 1000 * statistics.median(times)]
        out[name] = row
        print(f"{name:16} {row[0]:8.3f} {row[1]:6.3f} {row[2]:6.3f} {row[3]:9.3f} {row[4]:9.1f}")
    return out


if __name__ == "__main__":
    main()
