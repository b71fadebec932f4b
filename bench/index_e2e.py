"""End-to-end indexing speed of one 720p clip at 1 fps, vs the encoder alone on its frames.

    .venv/bin/python -m bench.index_e2e [--seconds 60]

"e2e" runs the mapper ``indexer.embed.embed_video`` inline (decord decode → ViT-B-32
encode → segment → meanP pool), the work a worker does per file; the catalog commit is not
included (milliseconds per file). "encoder only" times ``encode_images`` on the very frames
the decoder produced. Ratio e2e/encoder = share of the encoder's throughput that indexing
keeps (1.0 = decoding is free; above 1.0 when skipping similar frames saves encodes).
Machine-wide numbers: torch uses all visible cores.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from bench.common import print_machine, table, write_clip
from indexer.decode import default_decoder
from indexer.embed import WorkItem, embed_video
from indexer.options import IndexOptions
from search.models import load_encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vidseek-bench"))
    args = parser.parse_args()
    print_machine(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    args.cache.mkdir(parents=True, exist_ok=True)
    path = write_clip(args.cache / f"720p_g250_{args.seconds:g}.mp4", 1280, 720, args.seconds)
    encoder = load_encoder("ViT-B-32:random", device="cpu")
    decoder = default_decoder()
    options = IndexOptions()
    item = WorkItem(path, "bench", path.stat().st_size, path.stat().st_mtime)
    frames = np.concatenate(
        [b.images for b in decoder.frames(path, options.fps, 224, options.batch_size)]
    )
    encoder.encode_images(list(frames[:8]))  # warm-up
    rows = []
    t0 = time.perf_counter()
    encoder.encode_images(list(frames))
    enc = time.perf_counter() - t0
    for label, opts in (
        ("e2e embed_video, skip similar on", options),
        ("e2e embed_video, skip similar off", replace(options, skip_similar_frames=None)),
    ):
        t0 = time.perf_counter()
        commit = embed_video(item, encoder, decoder, opts)
        e2e = time.perf_counter() - t0
        n = len(commit.frame_times)
        rows.append([label, n, args.seconds / e2e, n / e2e, enc / e2e])
    rows.append(["encoder only", len(frames), args.seconds / enc, len(frames) / enc, 1.0])
    print(table(["stage", "frames", "video s / wall s", "frames/s", "x encoder"], rows))


if __name__ == "__main__":
    main()
