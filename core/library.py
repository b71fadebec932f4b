"""``Library``: a folder holding the catalog (source of truth) and the vector index snapshot.

Writes commit the catalog first, then update the in-memory index and save the snapshot; a crash
in between leaves a snapshot that disagrees with the catalog, which ``open`` detects and rebuilds.
Writers serialise on an inter-process lock in the index folder.

The index kind fits the library's size (``choose_index_kind``): ``_rebuild`` trains it from a
sample of the catalog's vectors, and a save notices when the library has outgrown its index
(a bigger kind is due, or an IVF index holds ``GROWTH_FACTOR`` times what it was trained for)
and builds a new one: inline (CLI jobs), or, with ``rebuild_in_background``, in a thread that
swaps it in under the lock when done while searches go on against the old one (the server).
A crash mid-rebuild leaves the old snapshot in place (snapshots are written atomically).

The vector index is opened lazily, on the first call that needs it (a search, a write, a
rebuild): reading the catalog alone (listing videos, counting) neither imports faiss nor
loads the snapshot. The index is any ``VectorIndex`` its factory makes (default: FAISS).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidseek.core import snapshot
from vidseek.core.catalog import Catalog, SegmentRecord, SegmentTable
from vidseek.core.catalog.catalog import FileState
from vidseek.core.errors import LibraryError, ModelMismatch
from vidseek.core.index_kinds import KINDS, IndexSpec, choose_index_kind, memory_budget_from_env
from vidseek.core.rerank import remove_stale_spills
from vidseek.core.snapshot import SnapshotLock
from vidseek.core.types import Hit, ModelIdentity, VideoCommit, VideoRecord
from vidseek.core.vector_index import VectorIndex, VectorIndexFactory
from vidseek.core.vector_store import store_factory

__all__ = ["FileState", "Library", "LibraryStats", "SegmentRecord"]

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite"
INDEX_DIR = "index"
BATCH_SAVE_INTERVAL_S = 60.0
GROWTH_FACTOR = 4  # an IVF index this many times larger than its training size is retrained


@dataclass(frozen=True)
class LibraryStats:
    videos: int
    failed: int
    frames: int
    segments: int
    catalog_bytes: int
    index_bytes: int
    model: ModelIdentity | None
    home: Path


def default_index_factory() -> VectorIndexFactory:
    """FAISS, imported on first use (importing faiss takes a while)."""
    from vidseek.core.faiss_index import FAISS

    return FAISS


def _empty_table() -> SegmentTable:
    z = np.zeros(0, dtype=np.int64)
    return SegmentTable(z, z, z.astype(np.float64), z.astype(np.float64))


class Library:
    """A video library folder: catalog + vector index + model identity."""

    def __init__(
        self,
        home: Path,
        catalog: Catalog,
        read_only: bool,
        notify: Callable[[str], None],
        memory_budget: int | None = None,
        rebuild_in_background: bool = False,
        index_factory: VectorIndexFactory | None = None,
    ) -> None:
        self.home = home
        self._index_factory = index_factory
        self.memory_budget = (
            memory_budget if memory_budget is not None else memory_budget_from_env()
        )
        self._background = rebuild_in_background
        self._grower: threading.Thread | None = None
        self._closing = threading.Event()
        self.catalog = catalog
        self.read_only = read_only
        self._notify = notify
        self._index_dir = home / INDEX_DIR
        self._flock = SnapshotLock(self._index_dir, create=not read_only)
        self._lock = threading.RLock()
        self._loaded = False  # the index and table reflect the snapshot or catalog
        self._index: VectorIndex | None = None
        self._table = _empty_table()
        self._manifest_bytes: bytes | None = None
        self._model: ModelIdentity | None = None
        self._batch_depth = 0
        self._dirty = False
        self._last_save = 0.0

    @classmethod
    def open(
        cls,
        home: Path | str,
        *,
        catalog_url: str | None = None,
        read_only: bool = False,
        notify: Callable[[str], None] | None = None,
        memory_budget: int | None = None,
        rebuild_in_background: bool = False,
        index_factory: VectorIndexFactory | None = None,
        vector_store: str | None = None,
    ) -> Library:
        """Open (creating unless ``read_only``) the library at ``home``. Its vector index is
        loaded and reconciled with the catalog on first use (or by ``load_index``).

        ``memory_budget``: bytes the vector index may use (default ``$VIDSEEK_INDEX_MEMORY``
        or 8 GiB), which decides its kind. ``rebuild_in_background``: retrain an outgrown
        index in a thread instead of inside the save that noticed (long-running servers).
        ``index_factory``: makes and reads the vector index; else ``vector_store``
        (``faiss`` or ``milvus:PATH-OR-URI[#collection]``, default ``$VIDSEEK_VECTOR_STORE``,
        else FAISS; see ``core/vector_store.py``)."""
        if index_factory is None:
            index_factory = store_factory(vector_store)
        home = Path(home).expanduser().resolve()
        if read_only:
            if not home.is_dir() or (catalog_url is None and not (home / CATALOG_FILE).exists()):
                raise LibraryError(f"no vidseek library at {home}")
        else:
            home.mkdir(parents=True, exist_ok=True)
        url = catalog_url or f"sqlite:///{home / CATALOG_FILE}"
        catalog = Catalog.open(url, read_only=read_only)
        lib = cls(
            home,
            catalog,
            read_only,
            notify if notify is not None else log.warning,
            memory_budget,
            rebuild_in_background,
            index_factory,
        )
        return lib

    def load_index(self) -> None:
        """Load the vector index now (it is otherwise loaded on first use): verify the
        snapshot against the catalog, rebuilding it (and saying why) if it disagrees."""
        with self._lock:
            if not self._loaded:
                with self._flock.hold(exclusive=not self.read_only):
                    self._load()

    def close(self) -> None:
        self._closing.set()
        grower = self._grower
        if grower is not None:
            grower.join()
        with self._lock:
            try:
                if self._dirty and not self.read_only:
                    with self._flock.hold(exclusive=True):
                        self._save()
            finally:
                if self._index is not None:
                    self._index.close()
                    self._index = None
                self.catalog.close()
                self._flock.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- model ------------------------------------------------------------------------------

    @property
    def model(self) -> ModelIdentity | None:
        """The model the library is bound to (None while empty)."""
        if self._model is None:
            self._model = self.catalog.model()
        return self._model

    def bind_model(self, identity: ModelIdentity) -> None:
        """Record ``identity`` in an empty library; refuse any other than the recorded one."""
        with self._lock:
            current = self.catalog.model()
            if current is not None:
                self._check_same(current, identity)
                return
            self._writable()
            with self._flock.hold(exclusive=True):
                current = self.catalog.model()  # another process may have bound meanwhile
                if current is not None:
                    self._check_same(current, identity)
                    return
                self.catalog.set_model(identity)
                self._model = identity
                self._index = self.index_factory.train(identity.dim, IndexSpec(), None)
                self._table = _empty_table()
                self._loaded = True
                self._save()

    def _check_same(self, current: ModelIdentity, identity: ModelIdentity) -> None:
        self._model = current
        diffs = current.differences(identity)
        if diffs:
            raise ModelMismatch(
                library_model=current.label,
                requested_model=identity.label,
                differences=diffs,
                library=str(self.home),
            )

    # --- writes -----------------------------------------------------------------------------

    def commit_video(self, commit: VideoCommit) -> VideoRecord:
        """Store one indexed video (replacing any earlier record of its path) and its vectors."""
        self._writable()
        model = self._require_model()
        with self._lock, self._flock.hold(exclusive=True):
            self._sync()
            record, removed, new_ids = self.catalog.replace_video(commit, model.dim)
            vectors = np.stack([s.vector for s in commit.segments]) if commit.segments else None
            starts = np.array([s.start for s in commit.segments], dtype=np.float64)
            ends = np.array([s.end for s in commit.segments], dtype=np.float64)
            self._apply(removed, new_ids, vectors, record.id, starts, ends)
            return record

    def record_failure(
        self, path: str, content_hash: str, size: int, reason: str, mtime: float | None = None
    ) -> VideoRecord:
        """Record that ``path`` could not be indexed (replacing an earlier record of it)."""
        self._writable()
        with self._lock, self._flock.hold(exclusive=True):
            self._sync()
            record, removed = self.catalog.upsert_failure(path, content_hash, size, reason, mtime)
            self._apply(removed, None, None, record.id, None, None)
            return record

    def remove_video(self, video_id: int) -> None:
        """Remove a video, its rows and its vectors. Raises VideoNotFound."""
        self._writable()
        with self._lock, self._flock.hold(exclusive=True):
            self._sync()
            removed = self.catalog.delete_video(video_id)
            self._apply(removed, None, None, video_id, None, None)

    def move_video(self, video_id: int, new_path: str, size: int, mtime: float | None) -> None:
        """Point a video at its new path, keeping its vectors (a moved or renamed file)."""
        self._writable()
        with self._lock, self._flock.hold(exclusive=True):
            self._sync()
            removed = self.catalog.move_video(video_id, new_path, size, mtime)
            if len(removed):
                self._apply(removed, None, None, video_id, None, None)

    def touch_video(self, video_id: int, mtime: float | None) -> None:
        """Record a new mtime of a file whose content is unchanged."""
        self._writable()
        self.catalog.touch_video(video_id, mtime)

    def file_states(self) -> dict[str, FileState]:
        """Path → what the catalog remembers of that file (size, mtime, hash, status)."""
        return self.catalog.file_states()

    def delete_orphans(self) -> int:
        """Drop frames and segments whose video row is gone; returns the segments dropped."""
        self._writable()
        with self._lock, self._flock.hold(exclusive=True):
            self._sync()
            removed = self.catalog.delete_orphans()
            if len(removed):
                self._apply(removed, None, None, -1, None, None)
            return len(removed)

    @property
    def index_dir(self) -> Path:
        return self._index_dir

    @property
    def index_factory(self) -> VectorIndexFactory:
        """What makes and reads this library's vector index (importing it on first use)."""
        if self._index_factory is None:
            self._index_factory = default_index_factory()
        return self._index_factory

    def rebuild_index(self) -> int:
        """Rebuild the vector index from the catalog's segment vectors and save it."""
        with self._lock, self._flock.hold(exclusive=not self.read_only):
            self._model = self.catalog.model()
            self._rebuild()
            self._loaded = True
            return self._index.ntotal if self._index else 0

    @contextlib.contextmanager
    def batch(self) -> Iterator[Library]:
        """Defer snapshot saves during many commits (saved at most every minute and on exit).

        The catalog is still committed per video; a crash only costs a rebuild on next open.
        A writable library loads (and so reconciles) its index on entry: a write job leaves a
        snapshot that agrees with the catalog even when it commits nothing.
        """
        if not self.read_only:
            self.load_index()
        with self._lock:
            self._batch_depth += 1
        try:
            yield self
        finally:
            with self._lock:
                self._batch_depth -= 1
                if self._batch_depth == 0 and self._dirty and not self.read_only:
                    with self._flock.hold(exclusive=True):
                        self._save()

    # --- reads ------------------------------------------------------------------------------

    def find_video_by_hash(self, content_hash: str) -> VideoRecord | None:
        return self.catalog.find_by_hash(content_hash)

    def find_video_by_path(self, path: str) -> VideoRecord | None:
        return self.catalog.find_by_path(path)

    def videos(
        self, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[VideoRecord]:
        return self.catalog.videos(status, limit, offset)

    def count_videos(self, status: str | None = None) -> int:
        return self.catalog.count_videos(status)

    def video(self, video_id: int) -> VideoRecord:
        return self.catalog.video(video_id)

    def segments(self, video_id: int) -> list[SegmentRecord]:
        return self.catalog.segments(video_id)

    def segment(self, segment_id: int) -> SegmentRecord | None:
        """One segment by id (None if unknown)."""
        return self.catalog.segment(segment_id)

    def stats_segments(self) -> int:
        """Number of segments searchable right now (no catalog query once loaded)."""
        self.load_index()
        with self._lock:
            return self._index.ntotal if self._index is not None else 0

    def frames(self, video_id: int) -> tuple[np.ndarray, np.ndarray]:
        return self.catalog.frames(video_id, self._dim())

    def video_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        return self.catalog.video_vectors(self._dim())

    def segment_ids_for_videos(self, video_ids: Collection[int]) -> np.ndarray:
        """Ids of the indexed segments of these videos (ascending)."""
        wanted = np.fromiter((int(v) for v in video_ids), dtype=np.int64)
        self.load_index()
        with self._lock:
            table = self._table
        return table.ids[np.isin(table.video_ids, wanted)]

    def search_vectors(
        self, queries: np.ndarray, k: int, video_ids: Collection[int] | None = None
    ) -> list[list[Hit]]:
        """Top-k segments per query row: score descending, ties by segment id ascending."""
        q = np.asarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q.reshape(1, -1)
        self.load_index()
        with self._lock:
            index, table = self._index, self._table
            if index is None or index.ntotal == 0 or k <= 0:
                return [[] for _ in range(len(q))]
            allowed = None if video_ids is None else self.segment_ids_for_videos(video_ids)
            scores, ids = index.search(q, k, allowed)
        out: list[list[Hit]] = []
        for srow, irow in zip(scores, ids, strict=True):
            valid = irow >= 0
            pos = np.searchsorted(table.ids, irow[valid])
            pos = np.minimum(pos, max(len(table.ids) - 1, 0))
            hits = []
            for p, sid, score in zip(pos, irow[valid], srow[valid], strict=True):
                if len(table.ids) and table.ids[p] == sid:
                    hits.append(
                        Hit(
                            segment_id=int(sid),
                            video_id=int(table.video_ids[p]),
                            start=float(table.starts[p]),
                            end=float(table.ends[p]),
                            score=float(score),
                        )
                    )
            out.append(hits)
        return out

    def refresh(self) -> bool:
        """Pick up what other writers committed; True if the searchable content changed.

        A writable library catches up from the catalog, adding and removing only the segments
        that changed. It never verifies a snapshot against a catalog that another writer is
        filling between its saves, so a search never waits for a rebuild because an index job
        is running. A read-only library reloads the snapshot when a newer one was saved."""
        with self._lock:
            if not self._loaded:
                return False  # the first use will load what is there then
            if not self.read_only and self._index is not None:
                with self._flock.hold(exclusive=True):
                    return self._catch_up()
            if not self.read_only and self._model is None and self.catalog.model() is None:
                return False  # nothing indexed anywhere yet
            if snapshot.read_manifest_bytes(self._index_dir) == self._manifest_bytes and (
                self._model is not None or self.read_only
            ):
                return False
            with self._flock.hold(exclusive=not self.read_only):
                self._load()
            return True

    def stats(self) -> LibraryStats:
        """Counts and sizes, from the catalog and the snapshot's files (the index stays
        unloaded)."""
        return LibraryStats(
            videos=self.catalog.count_videos("indexed"),
            failed=self.catalog.count_videos("failed"),
            frames=self.catalog.count_frames(),
            segments=self.catalog.count_segments(),
            catalog_bytes=self.catalog.size_bytes(),
            index_bytes=snapshot.size_bytes(self._index_dir),
            model=self.catalog.model(),
            home=self.home,
        )

    # --- internals (callers hold self._lock and, where noted, the file lock) ----------------

    def _writable(self) -> None:
        if self.read_only:
            raise LibraryError(f"the library at {self.home} was opened read-only")

    def _require_model(self) -> ModelIdentity:
        if self._model is None:
            self._model = self.catalog.model()
        if self._model is None:
            raise LibraryError("no model bound to this library yet; call bind_model first")
        return self._model

    def _dim(self) -> int:
        model = self._model or self.catalog.model()
        return model.dim if model else 0

    def _sync(self) -> None:
        """Under the file lock: pick up what other processes committed since we last looked.

        A writer catches up from the catalog (the truth) rather than reloading the snapshot:
        another writer in a batch may have committed videos it has not saved yet."""
        if not self._loaded:
            self._load()
        elif self._index is not None and not self.read_only:
            self._catch_up()
        elif snapshot.read_manifest_bytes(self._index_dir) != self._manifest_bytes:
            self._load()

    def _catch_up(self) -> bool:
        """Under the exclusive file lock: apply other writers' catalog changes to the index;
        True if there were any.

        Several processes may index into one library (e.g. a PostgreSQL catalog); each must
        include the others' commits before it saves, or its snapshot would drop them."""
        if self._index is None or self._model is None:
            return False
        t = self._table
        mine = (len(t.ids), int(t.ids.max()) if len(t.ids) else -1, int(t.ids.sum()))
        if self.catalog.segment_fingerprint() == mine:
            return False
        table = self.catalog.segment_table()
        extra = np.setdiff1d(t.ids, table.ids, assume_unique=True)
        missing = np.setdiff1d(table.ids, t.ids, assume_unique=True)
        if len(extra):
            self._index.remove(extra)
        for ids, vectors in self.catalog.segment_vectors(self._model.dim, ids=missing):
            self._index.add(ids, vectors)
        self._table = table
        self._dirty = True
        if self._index.ntotal != len(table.ids):  # the catalog moved under us: start over
            self._rebuild(table)
        return True

    def _load(self) -> None:
        """Under the file lock: load the snapshot, verify it against the catalog, and rebuild
        (telling the user why) when it is missing, corrupt or stale."""
        if not self.read_only:
            snapshot.remove_temp_files(self._index_dir)  # a crash before a snapshot's rename
            remove_stale_spills(self._index_dir)
        self._model = self.catalog.model()
        table = self.catalog.segment_table()
        self._loaded = True
        if self._model is None:
            self._index, self._table, self._manifest_bytes = None, table, None
            return
        verdict = snapshot.verify(
            self._index_dir, self._model, table.ids, self.index_factory, mmap=self.read_only
        )
        if verdict.snapshot is not None:
            self._replace_index(verdict.snapshot.index)
            self._table = table
            self._manifest_bytes = verdict.snapshot.manifest_bytes
            return
        assert verdict.problem is not None
        self._rebuild(table)
        n = self._index.ntotal if self._index else 0
        self._notify(
            f"{snapshot.describe(verdict.problem)}; rebuilt from the catalog ({n} segments)"
        )

    def _replace_index(self, index: VectorIndex | None) -> None:
        old, self._index = self._index, index
        if old is not None and old is not index:
            old.close()

    def _rebuild(self, table: SegmentTable | None = None) -> None:
        model = self._require_model()
        table = table if table is not None else self.catalog.segment_table()
        self._replace_index(self._build_index(model.dim, table.ids))
        self._table = table
        if self.read_only:
            self._manifest_bytes = snapshot.read_manifest_bytes(self._index_dir)
        else:
            self._save()

    def _build_index(self, dim: int, ids: np.ndarray, abortable: bool = False) -> VectorIndex:
        """A new index of the kind that fits ``len(ids)``, trained on a sample of the catalog's
        vectors, holding all of them. Needs no lock beyond the catalog's own. ``abortable``
        (the background thread): give up between batches once ``close`` has begun."""
        spec = choose_index_kind(len(ids), dim, self.memory_budget)
        factory = self.index_factory
        sample = None
        picked = ids[factory.training_positions(len(ids), spec)]
        if len(picked):
            sample = np.concatenate([v for _, v in self.catalog.segment_vectors(dim, ids=picked)])
        spill = None if self.read_only else self._index_dir
        index = factory.train(dim, spec, sample, spill_dir=spill)
        for batch_ids, vectors in self.catalog.segment_vectors(dim):
            if abortable and self._closing.is_set():
                raise LibraryError("library closed during an index rebuild")
            index.add(batch_ids, vectors)
        index.trained_n = len(ids)
        return index

    def _outgrown(self) -> IndexSpec | None:
        """The spec of the index this library now needs, if its current one is outgrown."""
        if self._index is None or self._model is None:
            return None
        have, n = self._index.spec, self._index.ntotal
        want = choose_index_kind(n, self._model.dim, self.memory_budget)
        if KINDS.index(want.kind) > KINDS.index(have.kind):
            return want
        if have.kind != "flat" and n > GROWTH_FACTOR * max(self._index.trained_n, 1):
            return want
        return None

    def _grow_in_background(self) -> None:
        if self._grower is not None and self._grower.is_alive():
            return
        self._grower = threading.Thread(target=self._grow, name="vidseek-index-grow", daemon=True)
        self._grower.start()

    def _grow(self) -> None:
        """Thread: build the index the library has grown into, swap it in and save; again if
        the library outgrew that one meanwhile."""
        assert self._model is not None
        try:
            while self._outgrown() is not None and not self._closing.is_set():
                started = time.monotonic()
                ids = self.catalog.segment_table().ids
                index = self._build_index(self._model.dim, ids, abortable=True)
                with self._lock, self._flock.hold(exclusive=True):
                    table = self.catalog.segment_table()  # commits made meanwhile
                    have = np.sort(index.ids())
                    index.remove(np.setdiff1d(have, table.ids, assume_unique=True))
                    missing = np.setdiff1d(table.ids, have, assume_unique=True)
                    for ids, vectors in self.catalog.segment_vectors(self._model.dim, ids=missing):
                        index.add(ids, vectors)
                    self._replace_index(index)
                    self._table = table
                    self._save()
                self._notify(
                    f"vector index grew into {index.spec.kind} ({index.ntotal} segments, "
                    f"{time.monotonic() - started:.0f} s in the background)"
                )
        except Exception:
            if not self._closing.is_set():
                log.exception("background index rebuild failed; the old index keeps serving")

    def _save(self) -> None:
        """Under the exclusive file lock: write the snapshot and remember its manifest."""
        assert self._index is not None and self._model is not None
        self._catch_up()
        grown = self._outgrown()
        if grown is not None and not self._background:
            self._notify(f"the library outgrew its {self._index.spec.kind} index; rebuilding")
            self._replace_index(self._build_index(self._model.dim, self._table.ids))
        self._index.save(self._index_dir, snapshot.model_fields(self._model))
        self._manifest_bytes = snapshot.read_manifest_bytes(self._index_dir)
        self._dirty = False
        self._last_save = time.monotonic()
        if self._background and self._outgrown() is not None:
            self._grow_in_background()

    def _apply(
        self,
        removed: np.ndarray,
        new_ids: np.ndarray | None,
        vectors: np.ndarray | None,
        video_id: int,
        starts: np.ndarray | None,
        ends: np.ndarray | None,
    ) -> None:
        """After a catalog commit: mirror it in the index and the id map, then save."""
        if self._index is None:
            if not len(removed) and (new_ids is None or not len(new_ids)):
                return
            self._rebuild()
            return
        try:
            if len(removed):
                self._index.remove(removed)
            t = self._table
            keep = ~np.isin(t.ids, removed)
            ids, vids, st, en = t.ids[keep], t.video_ids[keep], t.starts[keep], t.ends[keep]
            if new_ids is not None and len(new_ids):
                assert vectors is not None and starts is not None and ends is not None
                self._index.add(new_ids, vectors)
                ids = np.concatenate([ids, new_ids])
                vids = np.concatenate([vids, np.full(len(new_ids), video_id, dtype=np.int64)])
                st, en = np.concatenate([st, starts]), np.concatenate([en, ends])
                order = np.argsort(ids, kind="stable")
                ids, vids, st, en = ids[order], vids[order], st[order], en[order]
            self._table = SegmentTable(ids, vids, st, en)
        except BaseException:
            self._rebuild()  # memory must match the committed catalog
            raise
        self._dirty = True
        in_batch = self._batch_depth > 0
        if not in_batch or time.monotonic() - self._last_save > BATCH_SAVE_INTERVAL_S:
            self._save()
