"""Vector-search latency, QPS, memory and recall@10: Flat vs HNSW vs IVF-PQ (+exact re-rank),
plus full text-query latency (text encode + search) with and without the LRU cache.

    .venv/bin/python -m bench.query [--sizes 10000,1000000] [--hnsw-max 200000]

Data: unit d=512 vectors around 2,000 random centres plus a 64-d latent (low intrinsic
dimension like real frame embeddings; uniform random vectors are a worst case no ANN index
handles well); queries are fresh points from the same distribution.
Recall@10 is against exact (Flat) search. "memory" is the index file size (about its resident
size); re-rank adds the float vectors it re-reads (from the catalog or a memory map when
deployed). Latency = one query per call (p50/p99 over ``--queries``); QPS = a batch of
all queries in one call. 10M vectors (20 GiB as float32) do not fit beside other work on a
24 GiB machine; IVF-PQ codes alone would be about 0.7 GiB.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import faiss
import numpy as np

from bench.common import print_machine, table
from search.index_kinds import FLAT_MAX, IndexSpec, choose_index_kind, ivf_lists

DIM = 512


_MIX = np.random.default_rng(7).standard_normal((64, DIM), dtype=np.float32) / 8


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """Unit vectors: a random centre + a 64-d latent mapped to 512-d + a little noise."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        pick = centres[rng.integers(0, len(centres), m)]
        latent = rng.standard_normal((m, 64), dtype=np.float32) @ _MIX
        x = (
            pick
            + 0.3 / np.sqrt(DIM) * latent
            + rng.standard_normal((m, DIM), dtype=np.float32) * 0.005
        )
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def build(kind: str, xb: np.ndarray) -> tuple[faiss.Index, str]:
    n = len(xb)
    if kind == "Flat":
        return faiss.IndexFlatIP(DIM), ""
    if kind == "IVF-Flat":  # what FaissIndex builds beyond 200k: choose_index_kind's rule
        spec = IndexSpec("ivf", nlist=ivf_lists(n), nprobe=max(16, ivf_lists(n) // 16))
        assert n < FLAT_MAX or spec == choose_index_kind(n, DIM)
        index = faiss.index_factory(DIM, f"IVF{spec.nlist},Flat", faiss.METRIC_INNER_PRODUCT)
        index.train(xb[np.random.default_rng(1).choice(n, min(n, 64 * spec.nlist), replace=False)])
        index.nprobe = spec.nprobe
        return index, f"nlist={spec.nlist} nprobe={spec.nprobe}"
    if kind == "HNSW":
        index = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.hnsw.efSearch = 128
        return index, "M=32 efC=64 efS=128"
    nlist = int(min(4096, max(16, 2 ** round(np.log2(4 * np.sqrt(n))))))
    index = faiss.IndexIVFPQ(faiss.IndexFlatIP(DIM), DIM, nlist, 64, 8, faiss.METRIC_INNER_PRODUCT)
    train = xb[np.random.default_rng(1).choice(n, min(n, 64 * nlist, 100_000), replace=False)]
    index.train(train)
    index.nprobe = 32
    return index, f"nlist={nlist} m=64x8b nprobe=32"


class Reranked:
    """IVF-PQ candidates (``factor`` x k), re-scored exactly from the stored float vectors."""

    def __init__(self, index: faiss.Index, xb: np.ndarray, factor: int = 10) -> None:
        self.index, self.xb, self.factor = index, xb, factor

    def search(self, xq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        _, cand = self.index.search(xq, k * self.factor)
        out_s = np.full((len(xq), k), -np.inf, np.float32)
        out_i = np.full((len(xq), k), -1, np.int64)
        for row, ids in enumerate(cand):
            ids = ids[ids >= 0]
            scores = self.xb[ids] @ xq[row]
            best = np.argsort(-scores)[:k]
            out_s[row, : len(best)], out_i[row, : len(best)] = scores[best], ids[best]
        return out_s, out_i


def index_mib(index: faiss.Index) -> float:
    """Size of the index as written to disk (about its resident size), without a copy in RAM."""
    with tempfile.NamedTemporaryFile(suffix=".faiss") as f:
        faiss.write_index(index, f.name)
        return os.path.getsize(f.name) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-max", type=int, default=1_000_000)
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--kinds", default="Flat,IVF-Flat,HNSW,IVF-PQ,IVF-PQ+rerank")
    args = parser.parse_args()
    print_machine(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} OpenMP threads")
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        xb = clustered(n, rng, centres)
        xq = clustered(args.queries, rng, centres)
        truth = None
        pq, pq_params, pq_mem = None, "", 0.0
        kinds = args.kinds.split(",")
        for kind in ["Flat"] + [k for k in kinds if k != "Flat"]:  # Flat gives the truth
            if kind == "HNSW" and n > args.hnsw_max:
                rows.append([n, kind, f"skipped (> --hnsw-max {args.hnsw_max})"] + [""] * 6)
                continue
            t0 = time.perf_counter()
            if kind == "IVF-PQ+rerank" and pq is None:
                index, pq_params = build("IVF-PQ", xb)
                index.add(xb)
                pq, pq_mem = index, index_mib(index)
            if kind == "IVF-PQ+rerank":
                index, params = Reranked(pq, xb), pq_params + " re-rank 10xk exact"
                mem = pq_mem + xb.nbytes / 2**20
            else:
                index, params = build(kind, xb)
                index.add(xb)
                mem = index_mib(index)
                if kind == "IVF-PQ":
                    pq, pq_params, pq_mem = index, params, mem
            build_s = time.perf_counter() - t0
            _, found = index.search(xq, 10)
            if truth is None:
                truth = found
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
            lat = []
            for q in xq:
                t = time.perf_counter()
                index.search(q[None], 10)
                lat.append(time.perf_counter() - t)
            t = time.perf_counter()
            index.search(xq, 10)
            qps = len(xq) / (time.perf_counter() - t)
            p50, p99 = np.percentile(lat, [50, 99]) * 1000
            rows.append([n, kind, params, build_s, mem, p50, p99, qps, recall])
            print(rows[-1], flush=True)
            if kind == "Flat" and "Flat" not in kinds:
                rows.pop()
            del index
        del pq
        del xb
    print(table(["vectors", "index", "params", "build s", "memory MiB", "p50 ms", "p99 ms",
                 "QPS (batch)", "recall@10"], rows))  # fmt: skip
    if not args.skip_text:
        print()
        text_query(args.queries)


def text_query(n_queries: int) -> None:
    """Text encode + Flat search on 10k vectors, through ``Searcher.embed_text``'s cache."""
    from search.lru import LruCache
    from search.models import load_encoder
    from search.query import Searcher

    encoder = load_encoder("ViT-B-32:random", device="cpu")
    index = faiss.IndexFlatIP(DIM)
    index.add(clustered(10_000, np.random.default_rng(2), np.eye(DIM, dtype=np.float32)[:50]))
    searcher = Searcher.__new__(Searcher)  # only the text path: no library needed
    searcher.encoder = encoder
    searcher._text_cache = LruCache(1024)
    texts = [f"a red circle on a blue background, take {i}" for i in range(min(50, n_queries))]
    rows = []
    for label, warm in (("cold (cache miss)", False), ("warm (cache hit)", True)):
        lat = []
        for text in texts if warm else []:
            searcher.embed_text(text)  # fill the cache
        for text in texts:
            if not warm:
                searcher._text_cache = LruCache(1024)
            t = time.perf_counter()
            index.search(searcher.embed_text(text)[None], 10)
            lat.append(time.perf_counter() - t)
        p50, p99 = np.percentile(lat, [50, 99]) * 1000
        rows.append([label, len(texts), p50, p99])
    print("full text query: Searcher.embed_text (ViT-B-32 text tower) + Flat search, 10k vectors")
    print(table(["cache", "queries", "p50 ms", "p99 ms"], rows))


if __name__ == "__main__":
    main()
