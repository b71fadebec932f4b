"""Vector-search latency, QPS, memory and recall@10: Flat vs HNSW vs IVF-PQ (+exact re-rank),
the ``FaissIndex`` that ``choose_index_kind`` picks for each memory budget, plus full
text-query latency (text encode + search) with and without the LRU cache.

    .venv/bin/python -m bench.query [--sizes 10000,1000000] [--hnsw-max 200000]
        [--budgets 8G,1G] [--kinds Flat,IVF-Flat,HNSW,IVF-PQ,IVF-PQ+rerank]

Rows "FaissIndex <kind>" go through the product path: ``FaissIndex.build`` (sizes above
``--stream-above``: trained on the first vectors, added in 100k chunks with re-rank rows
spilled to disk, never holding the float vectors), ``save``, ``load(mmap=True)``, ``search``.
Their "files" are the snapshot (index + float16 re-rank rows); "RSS anon+file" is the growth
of the process's anonymous and file-backed resident memory from loading the snapshot through
the queries (mapped pages count where touched, plus the kernel's fault-around neighbours).

Data: unit d=512 vectors around 2,000 random centres plus a 64-d latent (low intrinsic
dimension like real frame embeddings; uniform random vectors are a worst case no ANN index
handles well); queries are fresh points from the same distribution.
Recall@10 is against exact search (Flat; streamed sizes: a chunked exact scan, and their
queries come from ``default_rng(n)``, not after the base vectors). For raw faiss rows "memory"
is the index file size (about its resident size); the raw IVF-PQ+rerank row adds the float32
vectors it re-reads. Latency = one query per call (p50/p99 over ``--queries``); QPS = a batch
of all queries in one call. 10M vectors (20 GiB as float32) never fit in RAM beside other work
on a 24 GiB machine: only streamed FaissIndex rows can measure that size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import faiss
import numpy as np

from bench.common import print_machine, table
from vidseek.core.faiss_index import FaissIndex, training_sample
from vidseek.core.index_kinds import IndexSpec, choose_index_kind, ivf_lists
from vidseek.core.snapshot import INDEX_FILE

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
    if kind == "IVF-Flat":  # the parameters of choose_index_kind's ivf band
        spec = IndexSpec("ivf", nlist=ivf_lists(n), nprobe=max(16, ivf_lists(n) // 64))
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


def rss_mib() -> tuple[float, float]:
    """Resident anonymous and file-backed (memory-mapped) MiB of this process."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile"))  # type: ignore[return-value]


def parse_size(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return (
        int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units else int(text)
    )


def timed(search, xq: np.ndarray, truth: np.ndarray) -> list[float]:
    """recall@10, p50 ms, p99 ms, QPS (one batch) of ``search(queries, k)``."""
    _, found = search(xq, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
    lat = []
    for q in xq:
        t = time.perf_counter()
        search(q[None], 10)
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    search(xq, 10)
    qps = len(xq) / (time.perf_counter() - t)
    p50, p99 = np.percentile(lat, [50, 99]) * 1000
    return [p50, p99, qps, recall]


def chunks(n: int, rng: np.random.Generator, centres: np.ndarray) -> Iterator[np.ndarray]:
    """The vectors of ``clustered(n, rng, centres)``, 100k at a time (same random stream)."""
    for start in range(0, n, 100_000):
        yield clustered(min(100_000, n - start), rng, centres)


class ExactTop10:
    """The exact top 10 ids of ``xq`` over vectors streamed through ``wrap`` (ids = order)."""

    def __init__(self, xq: np.ndarray) -> None:
        self.xq = xq
        self.scores = np.full((len(xq), 10), -np.inf, np.float32)
        self.ids = np.full((len(xq), 10), -1, np.int64)

    def wrap(self, parts: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        offset = 0
        for x in parts:
            s = np.concatenate([self.scores, self.xq @ x.T], axis=1)
            new = np.broadcast_to(np.arange(offset, offset + len(x)), (len(self.xq), len(x)))
            i = np.concatenate([self.ids, new], axis=1)
            top = np.argsort(-s, axis=1)[:, :10]
            self.scores, self.ids = np.take_along_axis(s, top, 1), np.take_along_axis(i, top, 1)
            offset += len(x)
            yield x


def build_streamed(n: int, spec: IndexSpec, parts: Iterator[np.ndarray], spill: Path) -> FaissIndex:
    """Train on the first vectors (the stream is i.i.d.), then add the rest chunk by chunk."""
    need = max(len(training_sample(n, spec)), spec.nlist)
    index, buffered, done = None, [], 0
    for x in parts:
        if index is None:
            buffered.append(x)
            have = sum(len(b) for b in buffered)
            if have < need and have < n:
                continue
            x, buffered = np.concatenate(buffered), []
            index = FaissIndex.train(DIM, spec, x[:need], spill_dir=spill)
        index.add(np.arange(done, done + len(x)), x)
        done += len(x)
    assert index is not None
    index.trained_n = n
    return index


def faiss_index_rows(
    n: int,
    budget: int,
    build_fn: Callable[[IndexSpec, Path], FaissIndex],
    xq: np.ndarray,
    truth: np.ndarray | ExactTop10,
    search_threads: int,
) -> list[list]:
    """Build what choose_index_kind picks, save, then load it as a writable library does
    (``mmap=False``) and as a read-only one does (``mmap=True``) and measure each."""
    spec = choose_index_kind(n, DIM, budget)
    params = f"budget {budget / 2**30:g}G: {spec.kind} nlist={spec.nlist} nprobe={spec.nprobe}"
    if spec.kind == "ivfpq":
        params += f" m={spec.pq_m} re-rank {spec.rerank}xk"
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        t0 = time.perf_counter()
        index = build_fn(spec, Path(tmp))
        index.save(tmp, {})
        build_s = time.perf_counter() - t0
        del index
        files = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        index_file = (Path(tmp) / INDEX_FILE).stat().st_size / 2**20
        want = truth.ids if isinstance(truth, ExactTop10) else truth
        threads = faiss.omp_get_max_threads()
        for mmap in (False, True):
            anon0, file0 = rss_mib()
            loaded, _ = FaissIndex.load(tmp, mmap=mmap)
            faiss.omp_set_num_threads(search_threads or threads)
            measured = timed(loaded.search, xq, want)
            faiss.omp_set_num_threads(threads)
            anon, file = (a - b for a, b in zip(rss_mib(), (anon0, file0), strict=True))
            rss = f"{anon:.0f} + {file:.0f}"
            label = f"{params}; load mmap={mmap}; index file {index_file:.0f} MiB"
            rows.append([n, f"FaissIndex {spec.kind}", label, build_s, files, rss, *measured])
            print(rows[-1], flush=True)
            del loaded
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-max", type=int, default=1_000_000)
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--kinds", default="Flat,IVF-Flat,HNSW,IVF-PQ,IVF-PQ+rerank")
    parser.add_argument("--budgets", default="8G,1G", help="FaissIndex rows; '' for none")
    parser.add_argument("--stream-above", type=int, default=2_000_000)
    parser.add_argument(
        "--search-threads",
        type=int,
        default=0,
        help="OpenMP threads while FaissIndex rows search (0: faiss default); 1 avoids "
        "OpenMP barrier stalls on a busy 2-core machine",
    )
    args = parser.parse_args()
    print_machine(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} OpenMP threads")
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    budgets = [parse_size(b) for b in args.budgets.split(",") if b]
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        if n > args.stream_above:
            xq = clustered(args.queries, np.random.default_rng(n), centres)
            state = rng.bit_generator.state
            for budget in budgets:  # each budget re-reads the same stream
                rng.bit_generator.state = state
                exact = ExactTop10(xq)

                def streamed(spec: IndexSpec, tmp: Path, n: int = n, exact=exact) -> FaissIndex:
                    return build_streamed(n, spec, exact.wrap(chunks(n, rng, centres)), tmp)

                rows += faiss_index_rows(n, budget, streamed, xq, exact, args.search_threads)
            continue
        xb = clustered(n, rng, centres)
        xq = clustered(args.queries, rng, centres)
        raw, truth = raw_rows(n, xb, xq, args)
        rows += raw
        for budget in budgets:

            def in_memory(spec: IndexSpec, tmp: Path, xb: np.ndarray = xb) -> FaissIndex:
                return FaissIndex.build(DIM, np.arange(len(xb)), xb, spec)

            rows += faiss_index_rows(n, budget, in_memory, xq, truth, args.search_threads)
        del xb
    print(table(["vectors", "index", "params", "build s", "files MiB", "RSS anon+file MiB",
                 "p50 ms", "p99 ms", "QPS (batch)", "recall@10"], rows))  # fmt: skip
    if not args.skip_text:
        print()
        text_query(args.queries)


def raw_rows(
    n: int, xb: np.ndarray, xq: np.ndarray, args: argparse.Namespace
) -> tuple[list[list], np.ndarray]:
    """Raw faiss indexes (``--kinds``) and the truth: Flat runs first and gives it, or, without
    Flat in ``--kinds``, a chunked exact scan (no latency loop: 0.3-0.6 s per query at 1M)."""
    rows, truth = [], None
    pq, pq_params, pq_mem = None, "", 0.0
    kinds = args.kinds.split(",")
    if "Flat" not in kinds:
        exact = ExactTop10(xq)
        for _ in exact.wrap(iter(np.array_split(xb, max(1, len(xb) // 100_000)))):
            pass
        truth = exact.ids
    for kind in (["Flat"] if "Flat" in kinds else []) + [k for k in kinds if k and k != "Flat"]:
        if kind == "HNSW" and n > args.hnsw_max:
            rows.append([n, kind, f"skipped (> --hnsw-max {args.hnsw_max})"] + [""] * 7)
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
        if truth is None:
            truth = index.search(xq, 10)[1]
        rows.append([n, kind, params, build_s, mem, "", *timed(index.search, xq, truth)])
        print(rows[-1], flush=True)
        del index
    assert truth is not None
    return rows, truth


def text_query(n_queries: int) -> None:
    """Text encode + Flat search on 10k vectors, through the search path's ``QueryEmbedder``."""
    from vidseek.core.models import load_encoder
    from vidseek.search.query import QueryEmbedder

    encoder = load_encoder("ViT-B-32:random", device="cpu")
    index = faiss.IndexFlatIP(DIM)
    index.add(clustered(10_000, np.random.default_rng(2), np.eye(DIM, dtype=np.float32)[:50]))
    embedder = QueryEmbedder(encoder)
    texts = [f"a red circle on a blue background, take {i}" for i in range(min(50, n_queries))]
    rows = []
    for label, warm in (("cold (cache miss)", False), ("warm (cache hit)", True)):
        lat = []
        for text in texts if warm else []:
            embedder.text(text)  # fill the cache
        for text in texts:
            if not warm:
                embedder = QueryEmbedder(encoder)
            t = time.perf_counter()
            index.search(embedder.text(text)[None], 10)
            lat.append(time.perf_counter() - t)
        p50, p99 = np.percentile(lat, [50, 99]) * 1000
        rows.append([label, len(texts), p50, p99])
    print("full text query: QueryEmbedder.text (ViT-B-32 text tower) + Flat search, 10k vectors")
    print(table(["cache", "queries", "p50 ms", "p99 ms"], rows))


if __name__ == "__main__":
    main()
