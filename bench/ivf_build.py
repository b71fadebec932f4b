"""IVF build time: lists found by faiss on the CPU vs by torch on a GPU (search/ivf_torch.py).

    .venv/bin/python -m bench.ivf_build [--sizes 1000000] [--queries 200] [--device cuda]

Same synthetic vectors as bench/query.py (d=512, unit rows), same index kind and parameters
(``choose_index_kind``); "train" is ``FaissIndex.train`` on the library's training sample,
"add" adds every vector in 100k batches as ``Library`` does. recall@10 is against exact
search; p50 is one query at a time on the CPU (the search never runs on the GPU).
Without ``--device`` (or on a machine without CUDA) torch runs on the CPU, which only shows
that the two paths build equally good indexes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import torch

from bench.common import print_machine, table
from bench.query import DIM, clustered
from vidseek.core.faiss_index import FaissIndex, training_sample
from vidseek.core.index_kinds import choose_index_kind

BATCH = 100_000


def build(xb: np.ndarray, ids: np.ndarray, lists_on: str | None, spill: Path) -> tuple:
    spec = choose_index_kind(len(xb), DIM)
    t0 = time.perf_counter()
    index = FaissIndex.train(DIM, spec, xb[training_sample(len(xb), spec)], spill, lists_on)
    t1 = time.perf_counter()
    for start in range(0, len(xb), BATCH):
        index.add(ids[start : start + BATCH], xb[start : start + BATCH])
    return index, t1 - t0, time.perf_counter() - t1


def recall_and_p50(index: FaissIndex, xq: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits, times = 0, []
    for q, want in zip(xq, truth, strict=True):
        t0 = time.perf_counter()
        _, got = index.search(q[None], 10)
        times.append(time.perf_counter() - t0)
        hits += len(set(got[0]) & set(want))
    return hits / truth.size, 1000 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    print_machine(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads, {gpu}")
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM), dtype=np.float32)  # as bench/query.py
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        xb = clustered(n, rng, centres)
        xq = clustered(args.queries, rng, centres)
        ids = np.arange(n, dtype=np.int64)
        exact = faiss.IndexFlatIP(DIM)
        exact.add(xb)
        truth = exact.search(xq, 10)[1]
        del exact
        for label, lists_on in (("faiss (CPU)", None), (f"torch ({args.device})", args.device)):
            with tempfile.TemporaryDirectory() as spill:
                index, train_s, add_s = build(xb, ids, lists_on, Path(spill))
                recall, p50 = recall_and_p50(index, xq, truth)
                kind = f"{index.spec.kind} nlist {index.spec.nlist}"
                rows.append([n, kind, label, train_s, add_s, train_s + add_s, recall, p50])
                del index
        print(table(["n", "index", "lists by", "train s", "add s", "build s", "recall@10",
                     "p50 ms"], rows[-2:]))  # fmt: skip
        print()
    speedups = [f"{a[0]:,}: {a[5] / b[5]:.1f}x" for a, b in zip(rows[::2], rows[1::2], strict=True)]
    print("build time, faiss / torch:", ", ".join(speedups))


if __name__ == "__main__":
    main()
