"""How long the video filters take: one catalog query over N videos (search/filters.py).

    .venv/bin/python bench/filters.py [N]

Builds a throwaway SQLite catalog of N video rows (random durations, sizes, dates and
creation times, a 2 KiB video vector each as real rows have; 1 in 5 with speech spans) and
times ``videos_matching`` for a few filters, median of 20 runs each. Prints JSON lines.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from vidseek.core.catalog.catalog import Catalog
from vidseek.core.catalog.schema import TextSpanRow, Video
from vidseek.search.filters import VideoFilter, videos_matching


class _CatalogOnly:
    """What ``videos_matching`` reads of a Library: its catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog


def build(folder: Path, n: int) -> Catalog:
    catalog = Catalog.open(f"sqlite:///{folder / 'catalog.sqlite'}")
    rng = random.Random(0)
    blob = bytes(512 * 4)
    rows = [
        {
            "id": i + 1,
            "path": f"/videos/{i // 1000:04d}/{i:07d}.mp4",
            "content_hash": f"h{i}",
            "size": 1,
            "mtime": 1.5e9 + rng.uniform(0, 2e8),
            "creation_time": None if rng.random() < 0.3 else 1.4e9 + rng.uniform(0, 3e8),
            "duration": rng.uniform(5, 3600),
            "width": (w := rng.choice((640, 1280, 1920, 3840))),
            "height": w * 9 // 16,
            "status": "indexed",
            "n_frames": 0,
            "n_segments": 0,
            "vector": blob,  # a 512-d float32 video vector, as real rows have
        }
        for i in range(n)
    ]
    spans = [
        {"video_id": i + 1, "kind": "speech", "start": 0.0, "end": 1.0, "text": "hi",
         "language": rng.choice(("en", "de", "fr"))}
        for i in range(0, n, 5)
    ]  # fmt: skip
    with catalog.engine.begin() as conn:
        conn.execute(insert(Video), rows)
        conn.execute(insert(TextSpanRow), spans)
    return catalog


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    cases = {
        "duration 60-600 s": VideoFilter(min_duration=60, max_duration=600),
        "height >= 720": VideoFilter(min_height=720),
        "created in 2016": VideoFilter(created_after=1.4516e9, created_before=1.4832e9),
        "all three": VideoFilter(
            min_duration=60, max_duration=600, min_height=720, created_after=1.4516e9
        ),
        "language de": VideoFilter(languages=("de",)),
        "has_speech false, height >= 1080": VideoFilter(has_speech=False, min_height=1080),
    }
    with tempfile.TemporaryDirectory() as folder:
        catalog = build(Path(folder), n)
        library = _CatalogOnly(catalog)
        for name, video_filter in cases.items():
            times, found = [], 0
            for _ in range(20):
                start = time.perf_counter()
                found = len(videos_matching(library, video_filter))  # type: ignore[arg-type]
                times.append(time.perf_counter() - start)
            ms = statistics.median(times) * 1000
            print(json.dumps({"videos": n, "filter": name, "matched": found, "ms": round(ms, 2)}))
        catalog.close()


if __name__ == "__main__":
    main()
