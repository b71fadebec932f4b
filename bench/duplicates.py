"""Near-duplicates at 1k, 3k and 10k videos: does the cost grow like the library, not its square?

    .venv/bin/python -m bench.duplicates [--sizes 1000,3000,10000] [--dim 512]

Each size is a fresh library of synthetic videos (12-24 s at 1 frame vector per second, scenes
of 3-6 s each a random direction, one segment vector per scene), written straight into the
catalog (as the indexer would have) and given its vector index by ``Library.rebuild_index``.
One video in 50 gets a planted copy (re-encoding noise, 0-3 s trimmed off the start) and one
in 100 has 8 s of it shown inside another video. Timed: ``library_duplicates(fresh=True)``,
split into finding candidates (querying the vector index, and building the scan's own IVF
above 5k segments: ``search/candidates.py``) and the rest (reading segment and frame
vectors, aligning candidates), the time to update the result after one more video is
indexed (a copy of the first), and the process's CPU time (the machine is shared), with how
many planted pairs were found and how many pairs were not planted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from bench.common import print_machine, table
from vidseek.core.catalog.schema import Frame, Segment, Video
from vidseek.core.library import Library
from vidseek.core.types import ModelIdentity
from vidseek.search import candidates
from vidseek.search.duplicate_cache import library_duplicates


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype("<f4")


def synthetic_video(rng: np.random.Generator, dim: int, seconds: int) -> tuple[np.ndarray, list]:
    """Frame vectors (one per second) and scene bounds."""
    frames, bounds, t = [], [], 0
    while t < seconds:
        n = min(int(rng.integers(3, 7)), seconds - t)
        look = rng.standard_normal(dim)
        look /= np.linalg.norm(look)
        frames.append(look + 0.1 * rng.standard_normal((n, dim)) / np.sqrt(dim))
        bounds.append((t, t + n))
        t += n
    return unit(np.concatenate(frames)), bounds


def copy_of(rng: np.random.Generator, frames: np.ndarray, start: int, end: int) -> np.ndarray:
    part = frames[start:end]
    return unit(part + 0.15 * rng.standard_normal(part.shape) / np.sqrt(part.shape[1]))


def cut(bounds: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """Scene bounds of seconds ``start``..``end``, re-timed from 0 (the indexer cuts a copy
    into segments at its own shot changes)."""
    return [
        (max(a, start) - start, min(b, end) - start) for a, b in bounds if b > start and a < end
    ]


def build(home: Path, n_videos: int, dim: int, seed: int = 0) -> set[tuple[int, int]]:
    """Fill a library with ``n_videos`` videos; returns the planted pairs (video ids)."""
    rng = np.random.default_rng(seed)
    model = ModelIdentity("bench-net", "random", dim, 224, (0.5,) * 3, (0.25,) * 3)
    lib = Library.open(home, notify=lambda _: None)
    lib.bind_model(model)
    videos: list[tuple[np.ndarray, list]] = []
    planted: list[tuple[int, int]] = []  # positions in ``videos``
    for i in range(n_videos):
        frames, bounds = synthetic_video(rng, dim, int(rng.integers(12, 25)))
        family = [len(videos)]
        videos.append((frames, bounds))
        if i % 50 == 0:  # a copy with 0-3 s trimmed off the start
            trim = int(rng.integers(0, 4))
            copied = copy_of(rng, frames, trim, len(frames))
            family.append(len(videos))
            videos.append((copied, cut(bounds, trim, len(frames))))
        if i % 100 == 0:  # 8 s of it inside another video (so also of its copy)
            head, head_bounds = synthetic_video(rng, dim, 5)
            tail, tail_bounds = synthetic_video(rng, dim, 5)
            host = np.concatenate([head, copy_of(rng, frames, 3, 11), tail])
            shots = [*head_bounds, *((a + 5, b + 5) for a, b in cut(bounds, 3, 11))]
            family.append(len(videos))
            videos.append((host, shots + [(a + 13, b + 13) for a, b in tail_bounds]))
        planted += [(a, b) for k, a in enumerate(family) for b in family[k + 1 :]]
    engine = lib.catalog.engine
    with engine.begin() as conn:
        conn.execute(
            insert(Video),
            [
                {
                    "path": f"/media/v{i:06d}.mp4",
                    "content_hash": f"{i:064x}",
                    "size": 1000,
                    "duration": float(len(f)),
                    "status": "indexed",
                    "n_frames": len(f),
                    "n_segments": len(b),
                    "vector": unit(f.mean(axis=0)).tobytes(),
                }
                for i, (f, b) in enumerate(videos)
            ],
        )
        ids = [r[0] for r in conn.execute(select(Video.id).order_by(Video.id))]
        for vid, (frames, bounds) in zip(ids, videos, strict=True):
            conn.execute(
                insert(Frame),
                [
                    {"video_id": vid, "t": float(t), "vector": v.tobytes()}
                    for t, v in enumerate(frames)
                ],
            )
            conn.execute(
                insert(Segment),
                [
                    {
                        "video_id": vid,
                        "start": float(a),
                        "end": float(b),
                        "n_frames": b - a,
                        "vector": unit(frames[a:b].mean(axis=0)).tobytes(),
                    }
                    for a, b in bounds
                ],
            )
    lib.rebuild_index()
    lib.close()
    return {(ids[a], ids[b]) for a, b in planted}


def add_a_copy(lib: Library, dim: int) -> float:
    """Index one more video (a copy of the first) and time the incremental update."""
    from vidseek.core.types import PooledSegment, VideoCommit, VideoInfo

    first = lib.videos(limit=1)[0]
    times, frames = lib.frames(first.id)
    copied = copy_of(np.random.default_rng(1), frames, 0, len(frames))
    segments = [
        PooledSegment(s.start, s.end, unit(copied[int(s.start) : int(s.end)].mean(axis=0)), 1)
        for s in lib.segments(first.id)
    ]
    record = lib.commit_video(
        VideoCommit(
            path="/media/new-copy.mp4",
            content_hash="new",
            size=1,
            mtime=0.0,
            info=VideoInfo(float(len(times)), 25.0, 64, 64),
            frame_times=times,
            frame_vectors=copied,
            segments=segments,
            video_vector=unit(copied.mean(axis=0)),
        )
    )
    t0 = time.perf_counter()
    report = library_duplicates(lib)
    seconds = time.perf_counter() - t0
    assert (first.id, record.id) in {(p.a, p.b) for p in report.copies()}
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args()
    import faiss

    faiss.omp_set_num_threads(1)  # as the CLI does: OpenMP threads fight on a shared machine
    print_machine(f"dim={args.dim}")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="vidseek-dups-") as tmp:
            t0 = time.perf_counter()
            planted = build(Path(tmp), n, args.dim)
            built = time.perf_counter() - t0
            with Library.open(tmp, notify=lambda _: None) as lib:
                lib.load_index()
                segments = lib.stats_segments()
                kind = f"library's {lib._index.spec.kind}" if lib._index else "-"  # noqa: SLF001
                if segments > candidates.SCAN_EXACT_MAX:
                    kind = f"scan IVF, {candidates.scan_lists(segments)} lists"
                cpu = time.process_time()
                report = library_duplicates(lib, fresh=True)
                cpu = time.process_time() - cpu
                update = add_a_copy(lib, args.dim)
            found = {(p.a, p.b) for p in report.pairs}
            rest = report.seconds - report.search_seconds
            rows.append(
                [
                    report.videos,
                    segments,
                    kind,
                    report.candidates,
                    f"{len(found & planted)}/{len(planted)}",
                    len(found - planted),
                    f"{report.search_seconds:.1f}",
                    f"{rest:.1f}",
                    f"{report.seconds:.1f}",
                    f"{cpu:.1f}",
                    f"{1000 * report.seconds / report.videos:.2f}",
                    f"{update:.2f}",
                    f"{built:.0f}",
                ]
            )
            print(table(HEADERS, rows[-1:]), flush=True)
    print()
    print(table(HEADERS, rows))


HEADERS = [
    "videos",
    "segments",
    "searched by",
    "candidates",
    "planted found",
    "other pairs",
    "candidates s",
    "align s",
    "total s",
    "cpu s",
    "ms/video",
    "+1 video s",
    "build s",
]

if __name__ == "__main__":
    main()
