"""The float16 vectors an IVF-PQ index re-scores its candidates with (exact re-rank).

Design, for libraries of up to ~10M segments (d=512):

- float16, not float32: half the disk and page cache (10 GiB instead of 20 GiB at 10M). A
  unit vector's components round with a relative error of at most 2^-11, so re-ranked scores
  differ from the exact float32 inner products by about 1e-4 (< 1e-3 guaranteed), far below
  the gaps that decide recall@10.
- Immutable, content-named chunk files (``rerank-<sha256>.f16``: the sorted int64 ids, then
  the rows in id order), appended as the library grows: a save writes only the rows added
  since the last one (merging small tail chunks, LSM-style, so there are O(log n) chunks),
  never the whole store. Removed ids stay as dead rows (the IVF-PQ index no longer returns
  them) until they are a quarter of all rows, when the store is rewritten once.
- Loading keeps the ids in RAM (8 B per row) and memory-maps the rows read-only, so only the
  pages of re-ranked candidates become resident. Sizes and the ids' checksum are verified on
  every load; a whole file's checksum only while it is small (fresh chunks of incremental
  saves), as hashing 10 GiB per open is not acceptable. Chunks are written and fsynced before
  the manifest that names them, so a crash leaves the previous snapshot whole.
- Rows added before a save stay in RAM, or, with a ``spill_dir``, go to ``.part`` files there
  every ``SPILL_BYTES`` (building 10M vectors would otherwise hold 10 GiB).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.core.errors import IndexCorrupt
from vidseek.core.snapshot import atomic_write_parts

PREFIX, SUFFIX, SPILL_PREFIX = "rerank-", ".f16", ".spill-"
ROW_DTYPE = np.float16
SPILL_BYTES = 256 * 2**20
VERIFY_MAX_BYTES = 64 * 2**20  # chunks up to this size get their full checksum checked on load
DEAD_FRACTION = 0.25
_BLOCK = 65536  # rows per write


@dataclass
class Chunk:
    ids: np.ndarray  # sorted, unique int64
    rows: np.ndarray  # float16 (len(ids), dim), in RAM or a read-only memory map of ``path``
    path: Path | None = None
    sha256: str = ""
    ids_sha256: str = ""


def _ids_digest(ids: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(ids, dtype="<i8").tobytes()).hexdigest()


def _map(path: Path, ids: np.ndarray, dim: int) -> np.ndarray:
    if not len(ids):
        return np.zeros((0, dim), dtype=ROW_DTYPE)
    return np.memmap(path, ROW_DTYPE, "r", offset=8 * len(ids), shape=(len(ids), dim))


def _write_chunk(
    directory: Path,
    ids: np.ndarray,
    rows: Callable[[np.ndarray], np.ndarray],
    dim: int,
    name: str | None,
) -> Chunk:
    """Write ids + rows (fetched in blocks) atomically as ``name`` or the content name."""
    parts = itertools.chain(
        [np.ascontiguousarray(ids, dtype="<i8").tobytes()],
        (
            np.ascontiguousarray(rows(ids[i : i + _BLOCK]), dtype=ROW_DTYPE).tobytes()
            for i in range(0, len(ids), _BLOCK)
        ),
    )
    content_name = lambda sha: f"{PREFIX}{sha[:32]}{SUFFIX}"  # noqa: E731
    target, sha = atomic_write_parts(directory, parts, name or content_name, "rerank-rename")
    return Chunk(ids, _map(target, ids, dim), target, sha, _ids_digest(ids))


class RerankStore:
    """id → float16 vector, in immutable chunks (newest wins) plus a pending RAM buffer."""

    def __init__(
        self, dim: int, chunks: list[Chunk] | None = None, spill_dir: Path | None = None
    ) -> None:
        self.dim = dim
        self.chunks = chunks or []
        self.spill_dir = spill_dir
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_bytes = 0

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._pending.append((ids.copy(), vectors.astype(ROW_DTYPE)))
        self._pending_bytes += len(ids) * self.dim * 2
        if self.spill_dir is not None and self._pending_bytes >= SPILL_BYTES:
            self._flush()
            tail = self.chunks.pop()
            name = f"{SPILL_PREFIX}{os.getpid()}-{os.urandom(6).hex()}.part"
            rows = lambda sel: tail.rows[np.searchsorted(tail.ids, sel)]  # noqa: E731
            self.chunks.append(_write_chunk(self.spill_dir, tail.ids, rows, self.dim, name))

    def _flush(self) -> None:
        """Merge pending rows into an in-RAM tail chunk (newest row of an id wins)."""
        if not self._pending:
            return
        parts = self._pending
        if self.chunks and self.chunks[-1].path is None:
            tail = self.chunks.pop()
            parts = [(tail.ids, tail.rows), *parts]
        ids = np.concatenate([i for i, _ in parts])
        rows = np.concatenate([r for _, r in parts])
        last = len(ids) - 1 - np.unique(ids[::-1], return_index=True)[1]  # newest of each id
        self.chunks.append(Chunk(ids[last], rows[last]))
        self._pending, self._pending_bytes = [], 0

    def get(self, ids: np.ndarray) -> np.ndarray:
        """float32 (len(ids), dim) rows of ``ids``; KeyError if one is not stored."""
        self._flush()
        return self._lookup(ids).astype(np.float32)

    def _lookup(self, ids: np.ndarray) -> np.ndarray:
        out = np.empty((len(ids), self.dim), dtype=ROW_DTYPE)
        todo = np.ones(len(ids), dtype=bool)
        for chunk in reversed(self.chunks):
            if not todo.any():
                break
            where = np.flatnonzero(todo)
            pos = np.minimum(np.searchsorted(chunk.ids, ids[where]), max(len(chunk.ids) - 1, 0))
            hit = chunk.ids[pos] == ids[where] if len(chunk.ids) else np.zeros(len(where), bool)
            order = np.argsort(pos[hit])  # ascending file offsets
            out[where[hit][order]] = chunk.rows[pos[hit][order]]
            todo[where[hit]] = False
        if todo.any():
            raise KeyError(f"{int(todo.sum())} ids have no stored vector")
        return out

    def missing(self, ids: np.ndarray) -> int:
        """How many of ``ids`` have no stored vector."""
        self._flush()
        stored = np.concatenate([np.zeros(0, np.int64)] + [c.ids for c in self.chunks])
        return int((~np.isin(ids, stored)).sum())

    # --- persistence ------------------------------------------------------------------------

    def save(self, directory: Path, live_ids: np.ndarray) -> list[dict[str, Any]]:
        """Write what ``directory`` lacks as new chunks; returns the manifest entries."""
        self._flush()
        chunks = self.chunks
        total = sum(len(c.ids) for c in chunks)
        if total - len(live_ids) > DEAD_FRACTION * total:
            start = 0  # mostly dead rows: rewrite the live ones once
        else:
            start = len(chunks)
            while start and chunks[start - 1].path is None:
                start -= 1
            tail = sum(len(c.ids) for c in chunks[start:])
            while start and tail and len(chunks[start - 1].ids) <= 2 * tail:
                start -= 1
                tail += len(chunks[start].ids)
        kept = []
        for chunk in chunks[:start]:
            if chunk.path is None or chunk.path.parent != directory:
                chunk = _write_chunk(directory, chunk.ids, self._lookup, self.dim, None)
            elif chunk.path.name.startswith(SPILL_PREFIX):
                target = directory / f"{PREFIX}{chunk.sha256[:32]}{SUFFIX}"
                os.replace(chunk.path, target)
                chunk.path = target
            kept.append(chunk)
        if start < len(chunks):
            merged = np.unique(np.concatenate([c.ids for c in chunks[start:]]))
            if start == 0:
                merged = np.intersect1d(merged, live_ids)
            kept.append(_write_chunk(directory, merged, self._lookup, self.dim, None))
            for chunk in chunks[start:]:
                if chunk.path is not None and chunk.path.name.startswith(SPILL_PREFIX):
                    chunk.path.unlink(missing_ok=True)
        self.chunks = kept
        return [
            {
                "file": c.path.name,
                "count": len(c.ids),
                "sha256": c.sha256,
                "ids_sha256": c.ids_sha256,
            }
            for c in kept
            if c.path is not None
        ]

    @classmethod
    def load(cls, directory: Path, entries: Any, dim: int) -> RerankStore:
        """Map the chunks a manifest names; IndexCorrupt if one is missing or damaged."""
        if not isinstance(entries, list):
            raise IndexCorrupt("manifest lists no re-rank vectors")
        chunks = []
        for entry in entries:
            try:
                path, count = directory / str(entry["file"]), int(entry["count"])
                size = path.stat().st_size
                if size != count * (8 + 2 * dim):
                    raise IndexCorrupt(
                        f"{path.name} has {size} bytes, expected {count * (8 + 2 * dim)}"
                    )
                if size <= VERIFY_MAX_BYTES:
                    if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
                        raise IndexCorrupt(f"{path.name} checksum does not match the manifest")
                ids = np.fromfile(path, dtype="<i8", count=count).astype(np.int64)
            except (OSError, KeyError, TypeError, ValueError) as exc:
                raise IndexCorrupt(f"cannot read re-rank vectors {entry!r}: {exc}") from exc
            if _ids_digest(ids) != entry["ids_sha256"] or np.any(np.diff(ids) <= 0):
                raise IndexCorrupt(f"{path.name} ids do not match the manifest")
            chunks.append(
                Chunk(ids, _map(path, ids, dim), path, entry["sha256"], entry["ids_sha256"])
            )
        return cls(dim, chunks)


def remove_unreferenced(directory: Path, entries: list[dict[str, Any]]) -> None:
    """Delete chunk files no manifest entry names (replaced by a merge, or a crashed save)."""
    keep = {e["file"] for e in entries}
    for path in directory.glob(f"{PREFIX}*{SUFFIX}"):
        if path.name not in keep:
            with contextlib.suppress(OSError):
                path.unlink()


def remove_stale_spills(directory: Path) -> None:
    """Delete spill files of processes that are gone."""
    for path in directory.glob(f"{SPILL_PREFIX}*.part"):
        pid = path.name[len(SPILL_PREFIX) :].split("-", 1)[0]
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                path.unlink()
        except (ValueError, PermissionError):
            continue
