"""End-to-end indexing speed of one 720p clip at 1 fps, vs the encoder alone on its frames.

    .venv/bin/python -m bench.index_e2e [--seconds 60] [--batch-sizes 64,16] [--backend B]
    .venv/bin/python -m bench.index_e2e --device cuda [--batch-sizes 64]

"e2e" runs the mapper ``indexer.embed.embed_video`` (decode → ViT-B-32 encode → segment →
meanP pool), the work a worker does per file; the catalog commit is not included
(milliseconds per file). Variants, each with near-duplicate skipping on and off:

- sequential: in-process decoder, ``read_ahead=0``: decode a batch, encode it, repeat;
- overlapped: in-process decoder, ``read_ahead=2``: a thread decodes ahead while encoding;
- overlapped + fast: the same with ``fast_decode`` (reference frames only);
- isolated (+ fast): the decoder in a worker process as ``vidseek index`` runs it (it
  decodes the next batch while this process encodes the current one);
- isolated + gpu decode (``--device cuda`` only): the same with ``--gpu-decode``.

"encoder only" times ``encode_images`` on the very frames the exact decoders produce, in
the same batches. Ratio e2e/encoder = share of the encoder's throughput that indexing keeps
(1.0 = decoding is free; above 1.0 when skipping similar frames saves encodes); each run
is paired with an encoder-only run just before it, and the table gives medians over
``--repeat`` rounds of the per-pair ratio and of the throughput. Overlap can
only start once a batch is full: with ``--batch-sizes`` above the clip's frame count (60)
there is one batch and nothing to overlap. "same" compares frame times and vectors with the
sequential run (fast decoding picks other frames by design). Machine-wide numbers: torch
uses all visible cores, and the decoder competes with it for them.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from bench.common import print_machine, table, write_clip
from vidseek.core.models import load_encoder
from vidseek.core.types import Encoder, VideoCommit
from vidseek.indexer.decode import PyAVDecoder, default_decoder
from vidseek.indexer.embed import WorkItem, embed_video
from vidseek.indexer.isolation import IsolatedDecoder
from vidseek.indexer.options import IndexOptions

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def _encode(encoder: Encoder, frames: np.ndarray, batch_size: int) -> None:
    for start in range(0, len(frames), batch_size):
        encoder.encode_images(list(frames[start : start + batch_size]))


def _same(a: VideoCommit, b: VideoCommit) -> str:
    if not np.array_equal(a.frame_times, b.frame_times):
        return "other frames"
    if np.array_equal(a.frame_vectors, b.frame_vectors):
        return "yes"
    cosine = (np.asarray(a.frame_vectors) * np.asarray(b.frame_vectors)).sum(axis=1).min()
    return f"vectors differ: min cosine {cosine:.5f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch-sizes", default="64,16")
    parser.add_argument("--repeat", type=int, default=2, help="rounds (medians are shown)")
    parser.add_argument("--backend", help="load_encoder(backend=...), where supported")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vidseek-bench"))
    parser.add_argument("--device", default="cpu", help="encoder device; cuda adds GPU decoding")
    args = parser.parse_args()
    print_machine(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    args.cache.mkdir(parents=True, exist_ok=True)
    path = write_clip(args.cache / f"720p_g250_{args.seconds:g}.mp4", 1280, 720, args.seconds)
    extra = {"backend": args.backend} if args.backend else {}
    encoder = load_encoder("ViT-B-32:random", device=args.device, **extra)
    print(f"encoder: {encoder!r}\n")
    item = WorkItem(path, "bench", path.stat().st_size, path.stat().st_mtime)
    size = encoder.identity.image_size
    frames = np.concatenate([b.images for b in PyAVDecoder().frames(path, 1.0, size, 64)])
    encoder.encode_images(list(frames[:8]))  # warm-up
    decoders = {
        "in-process": default_decoder(),
        "in-process fast": default_decoder(fast=True),
        "isolated": IsolatedDecoder(default_decoder),
        "isolated fast": IsolatedDecoder(functools.partial(default_decoder, fast=True)),
    }
    variants = [
        ("sequential", "in-process", {"read_ahead": 0}),
        ("overlapped", "in-process", {"read_ahead": 2}),
        ("overlapped + fast", "in-process fast", {"read_ahead": 2, "fast_decode": True}),
        ("isolated", "isolated", {}),
        ("isolated + fast", "isolated fast", {"fast_decode": True}),
    ]
    if args.device.startswith("cuda"):
        decoders["isolated gpu"] = IsolatedDecoder(functools.partial(default_decoder, gpu=True))
        variants.append(("isolated + gpu decode", "isolated gpu", {"gpu_decode": True}))
    rows = []
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        encode = functools.partial(_encode, encoder, frames, batch_size)
        runs = [
            (label, "on" if skip else "off", decoder, {**changes, "skip_similar_frames": skip})
            for skip in (2.0, None)
            for label, decoder, changes in variants
        ]
        walls: list[list[float]] = [[] for _ in runs]
        ratios: list[list[float]] = [[] for _ in runs]
        encoder_walls: list[float] = []
        commits: list[VideoCommit | None] = [None] * len(runs)
        for _ in range(args.repeat):  # rounds, so drifting machine load hits every row alike
            for i, (_, _, decoder, changes) in enumerate(runs):
                enc, _ = _timed(encode)  # right before each run: the load both see is alike
                options = IndexOptions(batch_size=batch_size, **changes)
                run = functools.partial(embed_video, item, encoder, decoders[decoder], options)
                wall, commits[i] = _timed(run)
                encoder_walls.append(enc)
                walls[i].append(wall)
                ratios[i].append(enc / wall)
        enc = float(np.median(encoder_walls))
        rows.append([batch_size, "encoder only", "", len(frames), args.seconds / enc, 1.0, ""])
        for i, (label, skip, _, _) in enumerate(runs):
            commit = commits[i]
            assert commit is not None
            reference = commits[0] if skip == "on" else commits[len(variants)]
            assert reference is not None
            wall, ratio = float(np.median(walls[i])), float(np.median(ratios[i]))
            rows.append(
                [batch_size, label, skip, len(commit.frame_times), args.seconds / wall, ratio,
                 _same(commit, reference)]
            )  # fmt: skip
    for decoder in decoders.values():
        if isinstance(decoder, IsolatedDecoder):
            decoder.close()
    headers = ["batch", "stage", "skip similar", "frames", "video s / wall s", "x encoder", "same"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
