"""Keyword index cost on SQLite: writing spans through the FTS5 triggers, and query latency by
query kind, at a library's worth of text.

    .venv/bin/python -m bench.keyword [--spans 200000] [--queries 50]

Spans are sentences of 6-14 words drawn from a 5,000-word vocabulary (Zipf-like), one in ten
in Chinese (8-20 characters from 400); 100 videos. Query kinds: one word, three words (all
required), a quoted phrase, a 3-character and a 2-character Chinese piece (trigram index;
LIKE scan), each timed through ``search_keywords`` (limit 50, spans with their times).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import print_machine
from tests.test_library import MODEL, make_commit
from vidseek.core.library import Library
from vidseek.core.types import TextSpan
from vidseek.search.keyword import search_keywords

VIDEOS = 100
HAN = [chr(0x4E00 + i * 37) for i in range(400)]


def vocabulary(rng: random.Random, n: int = 5000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyzéü"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def sentence(rng: random.Random, words: list[str], weights: list[float]) -> str:
    if rng.random() < 0.1:
        return "".join(rng.choices(HAN, k=rng.randint(8, 20)))
    return " ".join(rng.choices(words, weights, k=rng.randint(6, 14)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    print_machine(f"{args.spans} spans")
    rng = random.Random(1)
    words = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(words))]
    with tempfile.TemporaryDirectory() as tmp, Library.open(Path(tmp)) as library:
        library.bind_model(MODEL)
        ids = [library.commit_video(make_commit(f"/v/{i}.mp4", seed=i)).id for i in range(VIDEOS)]
        texts: list[str] = []
        t0 = time.perf_counter()
        per_video = args.spans // VIDEOS
        for vid in ids:
            spans = []
            for j in range(per_video):
                texts.append(sentence(rng, words, weights))
                spans.append(TextSpan("speech", j * 3.0, j * 3.0 + 2.5, texts[-1], "en"))
            library.catalog.replace_text_spans(vid, "speech", spans)
        took = time.perf_counter() - t0
        print(
            f"write: {len(texts)} spans in {took:.1f} s ({len(texts) / took:,.0f} spans/s, "
            f"FTS5 words + trigram tables kept by triggers, one transaction per video)"
        )
        size = library.catalog.size_bytes() / 2**20
        print(f"catalog on disk: {size:.0f} MiB\n")
        latin = [t for t in texts if not t[0] >= "\u4e00"]
        han = [t for t in texts if t[0] >= "\u4e00"]
        kinds = {
            "one word": lambda: rng.choice(rng.choice(latin).split()),
            "three words": lambda: " ".join(rng.sample(rng.choice(latin).split(), 3)),
            '"phrase"': lambda: '"' + " ".join(rng.choice(latin).split()[1:4]) + '"',
            "Chinese, 3 chars": lambda: _piece(rng, han, 3),
            "Chinese, 2 chars": lambda: _piece(rng, han, 2),
        }
        print(f"{'query':18} {'median ms':>10} {'p95 ms':>8} {'hits (median)':>14}")
        for name, make in kinds.items():
            times, counts = [], []
            for _ in range(args.queries):
                query = make()
                t0 = time.perf_counter()
                hits = search_keywords(library, query, limit=50)
                times.append(1000 * (time.perf_counter() - t0))
                counts.append(len(hits))
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(
                f"{name:18} {statistics.median(times):10.1f} {p95:8.1f} "
                f"{statistics.median(counts):14.0f}"
            )


def _piece(rng: random.Random, han: list[str], n: int) -> str:
    text = rng.choice(han)
    at = rng.randrange(len(text) - n)
    return text[at : at + n]


if __name__ == "__main__":
    main()
