"""Milvus (milvus-lite, embedded) beside FAISS on the same vectors: build time, single-query
p50/p99, QPS and recall@10 against exact search.

    .venv/bin/python -m bench.milvus [--n 200000] [--queries 200] [--data clustered|uniform]

Data: ``bench.query.clustered`` (unit d=512 vectors around 2,000 centres + a 64-d latent, the
FAISS rows' data) or ``uniform`` random unit vectors (the worst case for any ANN index).
Rows: the ``MilvusIndex`` product path (``MilvusStore.train`` with the plan ``index_plan``
picks for the size's ``choose_index_kind``, ``add`` in 4096-row upserts, ``save`` = flush), then
waiting until Milvus reports the index built; FLAT and HNSW collections for comparison; the
``FaissIndex`` that ``choose_index_kind`` picks. Latency = one query per call through
``search`` (gRPC to the embedded server included for Milvus).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import print_machine, table
from bench.query import DIM, clustered, timed
from vidseek.core.faiss_index import FaissIndex
from vidseek.core.index_kinds import IndexSpec, choose_index_kind
from vidseek.core.milvus_index import MilvusIndex, MilvusStore, index_plan
from vidseek.core.vector_store import parse_vector_store


def uniform(n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top10(xb: np.ndarray, xq: np.ndarray) -> np.ndarray:
    return np.argsort(-(xq @ xb.T), axis=1)[:, :10]


def wait_indexed(index: MilvusIndex, n: int, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = index._client.describe_index(index.name, "vector")
        if info.get("indexed_rows", 0) >= n and info.get("pending_index_rows", 0) == 0:
            return
        time.sleep(0.5)
    raise TimeoutError(f"{index.name}: index not built in {timeout} s")


def milvus_row(
    label: str, spec: IndexSpec, xb: np.ndarray, xq: np.ndarray, truth: np.ndarray, db: Path
) -> list:
    name = label.lower().replace(" ", "_").replace("-", "_")
    location = parse_vector_store(f"milvus:{db}#{name}")
    assert location is not None
    t = time.perf_counter()
    index = MilvusStore(location).train(DIM, spec, None)
    index.add(np.arange(len(xb)), xb)
    index._client.flush(index.name)
    wait_indexed(index, len(xb))
    build = time.perf_counter() - t
    plan = index_plan(spec)
    params = ", ".join(f"{k} {v}" for k, v in {**plan.build, **plan.search}.items())
    return [f"Milvus {plan.index_type} {params}".strip(), build, *timed(index.search, xq, truth)]


def faiss_row(spec: IndexSpec, xb: np.ndarray, xq: np.ndarray, truth: np.ndarray) -> list:
    t = time.perf_counter()
    index = FaissIndex.build(DIM, np.arange(len(xb)), xb, spec)
    build = time.perf_counter() - t
    label = f"FaissIndex {spec.kind} nlist {spec.nlist}, nprobe {spec.nprobe}"
    return [
        label if spec.kind != "flat" else "FaissIndex flat",
        build,
        *timed(index.search, xq, truth),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data", choices=("clustered", "uniform"), default="clustered")
    args = parser.parse_args()
    print_machine(f"n={args.n} d={DIM} queries={args.queries} data={args.data}")
    rng = np.random.default_rng(0)
    if args.data == "clustered":
        centres = rng.standard_normal((2000, DIM), dtype=np.float32)
        xb = clustered(args.n, rng, centres)
        xq = clustered(args.queries, np.random.default_rng(args.n), centres)
    else:
        xb, xq = uniform(args.n, rng), uniform(args.queries, np.random.default_rng(args.n))
    truth = exact_top10(xb, xq)
    chosen = choose_index_kind(args.n, DIM)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        rows.append(milvus_row("chosen", chosen, xb, xq, truth, db))
        rows.append(milvus_row("hnsw", IndexSpec("ivfpq", 64, 16, 64, 20), xb, xq, truth, db))
        rows.append(milvus_row("flat", IndexSpec("flat"), xb, xq, truth, db))
        rows.append(faiss_row(chosen, xb, xq, truth))
        rows.append(faiss_row(IndexSpec("flat"), xb, xq, truth))
    print(table(["index", "build s", "p50 ms", "p99 ms", "QPS (batch)", "recall@10"], rows))


if __name__ == "__main__":
    main()
