"""The path-prefix filter at 100k videos: the old scan in Python vs the catalog range query.

    .venv/bin/python -m bench.path_prefix [--videos 100000] [--dim 512] [--repeat 5]

Fills a fresh SQLite catalog with fake video rows (paths ``/media/dNNN/sNN/video_N.mp4``,
1,000 top folders of 100 videos, each row with a ``--dim`` float32 video vector as a real one
has) and times, best of ``--repeat``:

- before: what ``api/search_service.py`` did, every indexed video loaded and ``startswith``
  tested in Python (under the server's global lock, so every other request waited);
- after: ``Catalog.video_ids_under`` (a range on the path index; no lock of the server held),
  and ``search.filters.allowed_videos`` with three prefixes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bench.common import print_machine, table
from vidseek.core.catalog import Catalog
from vidseek.core.catalog.schema import Video
from vidseek.search.filters import allowed_videos

PER_FOLDER = 100


def fill(catalog: Catalog, n: int, dim: int) -> None:
    blob = np.random.default_rng(0).standard_normal(dim).astype("<f4").tobytes()
    rows = [
        {
            "path": f"/media/d{i // PER_FOLDER:03d}/s{i % 10:02d}/video_{i}.mp4",
            "content_hash": f"{i:064x}",
            "size": 1000 + i,
            "status": "indexed",
            "n_frames": 10,
            "n_segments": 3,
            "vector": blob,
        }
        for i in range(n)
    ]
    with catalog.engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(Video), rows[start : start + 10_000])


def old_scan(catalog: Catalog, prefixes: tuple[str, ...]) -> list[int]:
    return [v.id for v in catalog.videos(status="indexed") if v.path.startswith(prefixes)]


def best_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000, out


class _CatalogOnly:
    """What ``allowed_videos`` reads of a Library: its catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_machine(f"videos={args.videos} dim={args.dim}")
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog.open(f"sqlite:///{Path(tmp) / 'catalog.sqlite'}")
        fill(catalog, args.videos, args.dim)
        cases = [
            ("one folder (100 videos)", ("/media/d042/",)),
            ("one sub-folder (10 videos)", ("/media/d042/s07/",)),
            ("ten folders (1,000 videos)", ("/media/d01",)),
            ("everything", ("/media/",)),
            ("nothing", ("/elsewhere/",)),
        ]
        rows = []
        for label, prefixes in cases:
            before, old = best_ms(lambda p=prefixes: old_scan(catalog, p), max(args.repeat // 2, 1))
            after, new = best_ms(lambda p=prefixes: catalog.video_ids_under(p[0]), args.repeat)
            assert sorted(old) == new, label  # type: ignore[arg-type]
            rows.append([label, len(new), before, after, before / max(after, 1e-6)])  # type: ignore[arg-type]
        print(table(["prefix", "matches", "before ms", "after ms", "speed-up"], rows))
        three = ("/media/d001/", "/media/d500/s01/", "/media/d999/")
        ms, ids = best_ms(
            lambda: allowed_videos(_CatalogOnly(catalog), None, three),  # type: ignore[arg-type]
            args.repeat,
        )
        print(f"\nallowed_videos, three prefixes ({len(ids)} videos): {ms:.2f} ms")  # type: ignore[arg-type]
        catalog.close()


if __name__ == "__main__":
    main()
