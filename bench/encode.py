"""Image-encoder throughput: ViT-B-32 (random init, same compute as trained) on torch CPU.

    .venv/bin/python -m bench.encode [--images 128] [--batch-sizes 1,8,32,64]

Images are 398x224 RGB frames (a 16:9 frame already scaled to short side 224 by the
decoder); the time includes preprocessing (resize + centre crop + normalise) and the
forward pass, i.e. exactly ``ClipEncoder.encode_images``. torch uses all visible cores.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from bench.common import best_of, print_machine, table
from search.models import load_encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="ViT-B-32:random")
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--batch-sizes", default="1,8,32,64")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print_machine(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    rng = np.random.default_rng(0)
    images = list(rng.integers(0, 255, (args.images, 224, 398, 3), dtype=np.uint8))
    rows = []
    base = None
    for bs in (int(b) for b in args.batch_sizes.split(",")):
        encoder = load_encoder(args.model, device="cpu", batch_size=bs)
        n = min(len(images), max(bs * 2, 16))
        encoder.encode_images(images[:bs])  # warm-up
        wall = best_of(lambda e=encoder, n=n: e.encode_images(images[:n]), args.repeat)
        rate = n / wall
        base = base or rate
        rows.append(["torch-cpu", bs, n, rate, 1000 / rate, rate / base])
    print(table(["backend", "batch", "images", "images/s", "ms/image", "x batch 1"], rows))


if __name__ == "__main__":
    main()
