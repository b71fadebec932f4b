"""The segment vectors in a Milvus collection, behind the ``VectorIndex`` seam.

``MilvusStore`` is the factory (``--vector-store milvus:PATH-OR-URI[#collection]``);
``MilvusIndex`` one open collection. The same ``pymilvus`` client code talks to milvus-lite
(embedded, a local file) and to a Milvus cluster (a URI), so the tests cover both paths but for
the transport.

The catalog stays the source of truth. The collection holds ``id`` (the catalog's segment id,
primary key) and ``vector``; its properties record the model identity, index spec and training
size, as a FAISS manifest does. ``verify_store`` (called by ``snapshot.verify``, so by both
``Library`` loading and ``vidseek check``) judges the collection against the catalog: missing,
built with another model, or holding other ids is reported, and the library rebuilds it from the
catalog. Writes are idempotent (``add`` upserts, ``remove`` deletes by id), so several processes
catching up from one catalog converge on the same collection. The collection name vidseek is
given is an alias: a rebuild fills a new collection while the alias still serves the old one,
then moves the alias and drops the old one, so servers sharing the store never search a
half-filled collection. A local manifest is still written in ``<library>/index`` so that a
process notices another process's save the way it does for FAISS.

The index type follows the FAISS kind chosen for the size (``choose_index_kind``), see
``index_plan``. Each process keeps the set of ids it mirrors (8 bytes per segment); hits the
collection returns beyond it (another writer's newest) are dropped by ``Library`` until it
catches up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.core import snapshot
from vidseek.core.errors import IndexCorrupt
from vidseek.core.index_kinds import IndexSpec
from vidseek.core.types import ModelIdentity
from vidseek.core.vector_index import as_ids, as_vectors, empty_results, rank_row
from vidseek.core.vector_store import MilvusLocation

log = logging.getLogger(__name__)

BATCH = 4096  # rows per insert / delete / query call (4096 x 512 floats = 8 MiB, under gRPC's 64)
MAX_TOPK = 16384  # Milvus's limit on k
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_MIN = 128  # ef >= k is required; 128 keeps recall@10 >= 0.95 (bench/milvus.py)
IVF_NPROBE_SHARE = 16  # IVF_FLAT visits nlist / this many lists (FAISS visits nlist / 64)
_PROPS = ("vidseek.model", "vidseek.spec", "vidseek.trained_n", "vidseek.dim")

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def client_for(location: MilvusLocation, token: str = "") -> Any:
    """One ``MilvusClient`` per URI per process (milvus-lite opens a file in one process)."""
    key = (location.uri, token)
    with _clients_lock:
        if key not in _clients:
            from pymilvus import MilvusClient

            logging.getLogger("pymilvus").setLevel(logging.ERROR)  # iterator timestamp notes
            _clients[key] = (
                MilvusClient(location.uri, token=token) if token else MilvusClient(location.uri)
            )
        return _clients[key]


@dataclass(frozen=True)
class IndexPlan:
    """The Milvus index for a FAISS-chosen kind: its type, build params and search params."""

    index_type: str
    build: dict[str, int] = field(default_factory=dict)
    search: dict[str, int] = field(default_factory=dict)


def index_plan(spec: IndexSpec, k: int = 10) -> IndexPlan:
    """Which Milvus index serves a library ``choose_index_kind`` sized as ``spec``.

    - ``flat`` (< 200k segments): FLAT, exact.
    - ``ivf`` (200k-500k): IVF_FLAT with the same lists, exact scores; it visits 1/16 of the
      lists, not FAISS's 1/64: Milvus splits a collection into segments of ~1M rows with an
      IVF index each, so the per-segment lists are shorter and nprobe buys less (bench/milvus.py).
    - ``ivfpq`` (beyond, or over the memory budget): HNSW (M 16). Unlike faiss's IndexHNSW it
      can delete (Milvus marks deleted rows and compacts segments), and it is what the Milvus
      docs recommend for in-memory serving. A cluster whose vectors outgrow RAM switches the
      collection to DISKANN (SSD-resident graph, PQ codes in RAM) or IVF_PQ: docs/SCALING.md.
    """
    if spec.kind == "flat":
        return IndexPlan("FLAT")
    if spec.kind == "ivf":
        nprobe = max(spec.nprobe, spec.nlist // IVF_NPROBE_SHARE)
        return IndexPlan("IVF_FLAT", {"nlist": spec.nlist}, {"nprobe": min(nprobe, spec.nlist)})
    return IndexPlan(
        "HNSW", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}, {"ef": HNSW_EF_MIN}
    )


class MilvusIndex:
    """One Milvus collection of unit vectors under int64 ids, searched by inner product."""

    def __init__(
        self,
        client: Any,
        location: MilvusLocation,
        dim: int,
        spec: IndexSpec,
        ids: np.ndarray,
        trained_n: int = 0,
        target: str | None = None,
    ) -> None:
        self._client = client
        # The physical collection a rebuild fills; the alias (the location's name) once published.
        self._target = target or location.collection
        self.location = location
        self.dim = dim
        self.spec = spec
        self.trained_n = trained_n
        self.plan = index_plan(spec)
        self._ids = np.unique(as_ids(ids))  # sorted: the ids this process mirrors

    @property
    def name(self) -> str:
        return self._target

    @property
    def ntotal(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        ids = as_ids(ids)
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        where = {int(i): n for n, i in enumerate(ids)}
        for start in range(0, len(ids), BATCH):
            part = [int(i) for i in ids[start : start + BATCH]]
            rows = self._client.query(self.name, ids=part, output_fields=["id", "vector"])
            for row in rows:
                out[where[int(row["id"])]] = np.asarray(row["vector"], dtype=np.float32)
            if len(rows) != len(part):
                raise IndexCorrupt(f"{len(part) - len(rows)} ids are missing from {self.name}")
        return out

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = as_ids(ids), as_vectors(vectors, self.dim)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        for start in range(0, len(ids), BATCH):
            part = slice(start, start + BATCH)
            rows = [
                {"id": int(i), "vector": v} for i, v in zip(ids[part], vectors[part], strict=True)
            ]
            self._client.upsert(self.name, rows)  # idempotent: another writer may have added it
        self._ids = np.union1d(self._ids, ids)

    def remove(self, ids: np.ndarray) -> int:
        ids = as_ids(ids)
        held = ids[np.isin(ids, self._ids)]
        for start in range(0, len(ids), BATCH):  # all of them: another writer may hold more
            self._client.delete(self.name, ids=[int(i) for i in ids[start : start + BATCH]])
        self._ids = np.setdiff1d(self._ids, held, assume_unique=True)
        return len(held)

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        q = as_vectors(queries, self.dim)
        scores, ids = empty_results(len(q), k)
        limit = min(k, MAX_TOPK)
        if limit <= 0 or not len(q):
            return scores, ids
        expr = ""
        if allowed_ids is not None:
            allowed = as_ids(allowed_ids)
            if not len(allowed):
                return scores, ids
            expr = f"id in [{','.join(str(int(i)) for i in allowed)}]"
        params = dict(self.plan.search)
        if "ef" in params:
            params["ef"] = max(params["ef"], limit)
        rows = self._client.search(
            self.name,
            data=[row for row in q],
            limit=limit,
            filter=expr,
            output_fields=["id"],
            search_params={"metric_type": "IP", "params": params},
        )
        for r, hits in enumerate(rows):
            got_ids = np.fromiter((int(h["id"]) for h in hits), dtype=np.int64, count=len(hits))
            got = np.fromiter((h["distance"] for h in hits), dtype=np.float32, count=len(hits))
            s, i = rank_row(got, got_ids, limit)
            scores[r, : len(s)], ids[r, : len(i)] = s, i
        return scores, ids

    def save(self, directory: Path, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Flush the collection, record what it holds in its properties, and write the local
        manifest (which other processes sharing ``directory`` watch)."""
        self._client.flush(self.name)
        self._client.alter_collection_properties(
            self.name,
            properties={
                "vidseek.model": json.dumps(fields.get("model") or {}, sort_keys=True),
                "vidseek.spec": json.dumps(self.spec.to_json(), sort_keys=True),
                "vidseek.trained_n": str(self.trained_n),
                "vidseek.dim": str(self.dim),
            },
        )
        self._publish()
        extra = {
            "store": self.location.describe(),
            "spec": self.spec.to_json(),
            "trained_n": self.trained_n,
            "milvus_index": self.plan.index_type,
        }
        return snapshot.write_manifest(directory, self, {**fields, **extra})

    def _publish(self) -> None:
        """Point the alias at the collection this index filled (a rebuild), then drop the one
        it pointed at: other servers searching through the alias switch over at once and never
        see a half-filled collection."""
        alias = self.location.collection
        if self._target == alias:
            return
        client, old = self._client, None
        if alias in (client.list_aliases().get("aliases") or []):
            old = client.describe_alias(alias)["collection_name"]
            client.alter_alias(self._target, alias)
        else:
            if client.has_collection(alias):  # a plain collection of that name: replace it
                client.drop_collection(alias)
            client.create_alias(self._target, alias)
        if old and old != self._target and client.has_collection(old):
            client.drop_collection(old)
        self._target = alias

    def close(self) -> None:
        """Drop the collection if it was never published (a read-only library rebuilds into a
        private one, or a rebuild was abandoned); the client is shared (``client_for``)."""
        if self._target != self.location.collection:
            with contextlib.suppress(Exception):  # closing must not fail on a lost connection
                self._client.drop_collection(self._target)
            self._target = self.location.collection


class MilvusStore:
    """Makes and opens the Milvus collection at one location (a ``VectorIndexFactory``)."""

    def __init__(self, location: MilvusLocation, token: str = "") -> None:
        self.location = location
        self._token = token

    @property
    def client(self) -> Any:
        return client_for(self.location, self._token)

    def train(
        self, dim: int, spec: IndexSpec, sample: np.ndarray | None, spill_dir: Path | None = None
    ) -> MilvusIndex:
        """A new, empty collection, filled while the alias still points at the old one (if
        any); its first ``save`` moves the alias to it and drops the old one."""
        from pymilvus import DataType

        client = self.client
        name = f"{self.location.collection}__{time.time_ns():x}"
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        plan = index_plan(spec)
        params = client.prepare_index_params()
        params.add_index(
            field_name="vector", index_type=plan.index_type, metric_type="IP", params=plan.build
        )
        client.create_collection(
            name, schema=schema, index_params=params, consistency_level="Strong"
        )
        empty = np.zeros(0, dtype=np.int64)
        return MilvusIndex(client, self.location, dim, spec, empty, target=name)

    def training_positions(self, n: int, spec: IndexSpec) -> np.ndarray:
        return np.zeros(0, dtype=np.int64)  # Milvus trains its indexes itself, per segment

    def load_files(
        self, directory: Path, manifest: Mapping[str, Any], mmap: bool = False
    ) -> MilvusIndex:
        return self.open()

    def open(self) -> MilvusIndex:
        """The existing collection, loaded, with the ids it holds; IndexCorrupt if it is
        missing or was not written by vidseek."""
        client, name = self.client, self.location.collection
        if not client.has_collection(name):
            raise IndexCorrupt(f"no collection {self.location.describe()}")
        props = client.describe_collection(name).get("properties") or {}
        missing = [p for p in _PROPS if p not in props]
        if missing:
            raise IndexCorrupt(f"{self.location.describe()} lacks {', '.join(missing)}")
        try:
            spec = IndexSpec.from_json(json.loads(props["vidseek.spec"]))
            dim, trained_n = int(props["vidseek.dim"]), int(props["vidseek.trained_n"])
        except (ValueError, TypeError) as exc:
            raise IndexCorrupt(f"{self.location.describe()}: bad properties: {exc}") from exc
        client.load_collection(name)
        return MilvusIndex(client, self.location, dim, spec, self._all_ids(), trained_n)

    def _all_ids(self) -> np.ndarray:
        it = self.client.query_iterator(
            self.location.collection, batch_size=BATCH * 4, filter="", output_fields=["id"]
        )
        parts = []
        try:
            while batch := it.next():
                parts.append(np.fromiter((int(r["id"]) for r in batch), dtype=np.int64))
        finally:
            it.close()
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def verify_store(
        self, directory: Path, model: ModelIdentity, catalog_ids: np.ndarray
    ) -> snapshot.Verdict:
        """``snapshot.verify`` for a collection: may it serve this catalog?"""
        try:
            index = self.open()
        except IndexCorrupt as exc:
            if "no collection" in str(exc):
                return snapshot.Verdict(problem=f"missing ({self.location.describe()})")
            return snapshot.Verdict(problem=f"corrupt: {exc}")
        props = self.client.describe_collection(self.location.collection)["properties"]
        built = json.loads(props["vidseek.model"] or "{}")
        if built.get("identity") != model.to_json() or index.dim != model.dim:
            label = built.get("label", "an unknown model")
            return snapshot.Verdict(
                problem=f"stale: built with {label}, the catalog's model is {model.label}"
            )
        if snapshot.ids_sha256(index.ids()) != snapshot.ids_sha256(catalog_ids):
            return snapshot.Verdict(
                problem=f"stale: {snapshot.id_difference(index.ids(), catalog_ids)}"
            )
        manifest = {"store": self.location.describe(), "count": index.ntotal}
        raw = snapshot.read_manifest_bytes(directory) or b""
        return snapshot.Verdict(snapshot=snapshot.Snapshot(index, manifest, raw))
