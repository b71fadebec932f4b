"""Image-encoder throughput: ViT-B-32 (random init, same compute as trained) on CPU, torch
against every installed accelerated backend (OpenVINO, ONNX Runtime), side by side.

    .venv/bin/python -m bench.encode [--images 128] [--batch-sizes 1,8,32,64] [--threads N]
    .venv/bin/python -m bench.encode --device cuda --images 2048 --batch-sizes 64,256,1024

Images are 398x224 RGB frames (a 16:9 frame already scaled to short side 224 by the
decoder); the time includes preprocessing (resize + centre crop + normalise) and the
forward pass, i.e. exactly ``ClipEncoder.encode_images``. Every backend uses torch's thread
count (all visible cores unless --threads). Backends take turns within each round, so load
from other processes hits them alike; "x reference" compares with torch at the same batch size
and "cosine" is the lowest cosine of a backend's rows to torch's rows for the same images.
With ``--device cuda`` the rows are torch with float16 autocast (what vidseek runs on a GPU)
and torch float32, the reference, on the same GPU; the images start in host memory.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from bench.common import print_machine, table
from vidseek.core.models import load_encoder
from vidseek.core.models.backends import installed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="ViT-B-32:random")
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--batch-sizes", default="1,8,32,64")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many rounds")
    parser.add_argument("--threads", type=int, help="torch (and backend) threads")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda: float16 vs float32")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    backends = ["torch", *installed()] if args.device == "cpu" else ["torch", "torch float32"]
    print_machine(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {gpu_name()}")
    rng = np.random.default_rng(0)
    images = list(rng.integers(0, 255, (args.images, 224, 398, 3), dtype=np.uint8))
    rows = []
    for bs in (int(b) for b in args.batch_sizes.split(",")):
        encoders = {b: _encoder(args.model, args.device, bs, b) for b in backends}
        n = min(len(images), max(bs * 2, 16))
        vectors = {b: e.encode_images(images[:n]) for b, e in encoders.items()}  # warm-up
        best = dict.fromkeys(backends, float("inf"))
        for _ in range(args.repeat):
            for name, encoder in encoders.items():
                start = time.perf_counter()
                encoder.encode_images(images[:n])
                best[name] = min(best[name], time.perf_counter() - start)
        reference = "torch" if args.device == "cpu" else "torch float32"
        for name, encoder in encoders.items():
            rate = n / best[name]
            cosine = float((vectors[name] * vectors[reference]).sum(axis=1).min())
            speedup = best[reference] / best[name]
            label = encoder.backend if args.device == "cpu" else name
            rows.append([label, bs, n, rate, 1000 / rate, speedup, f"{cosine:.6f}"])
    headers = ["backend", "batch", "images", "images/s", "ms/image", "x reference", "cosine"]
    print(table(headers, rows))


def _encoder(model: str, device: str, batch_size: int, backend: str):
    if backend == "torch float32":  # the same model, autocast off
        encoder = copy.copy(
            load_encoder(model, device=device, batch_size=batch_size, backend="torch")
        )
        encoder.half = False
        return encoder
    return load_encoder(model, device=device, batch_size=batch_size, backend=backend)


def gpu_name() -> str:
    if not torch.cuda.is_available():
        return "no GPU"
    return f"GPU {torch.cuda.get_device_name()} (CUDA {torch.version.cuda})"


if __name__ == "__main__":
    main()
