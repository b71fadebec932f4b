"""The vector index snapshot on disk: its files, its manifest, its lock, and its verification.

A snapshot is a folder (``<library>/index``) holding the index's data files and
``manifest.json``, which describes them: format version, model, dimension, count and a
fingerprint of the ids, plus what the index kind adds (its file's checksum, re-rank chunks).
Every file is written to a temp file in the same folder, fsynced, renamed into place, and the
folder fsynced; the manifest is written last, so a crash leaves the previous snapshot whole.
Writers hold ``SnapshotLock`` exclusively; loaders hold it shared.

``verify`` is the one judgement of whether a snapshot may serve a catalog: ``Library`` uses it
on load (and rebuilds, saying why, when it may not) and ``check`` reports the same reason.
This module does not import faiss: an index kind is passed in as a ``VectorIndexFactory``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.core.errors import IndexCorrupt, StorageFull
from vidseek.core.faults import fault_point
from vidseek.core.types import ModelIdentity
from vidseek.core.vector_index import VectorIndex, VectorIndexFactory

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: single-writer by convention only
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 1
INDEX_FILE = "segments.faiss"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = "lock"
TEMP_GLOB = ".*.tmp"


def ids_sha256(ids: np.ndarray) -> str:
    """Order-independent fingerprint of a set of ids."""
    return hashlib.sha256(np.sort(np.asarray(ids, dtype="<i8")).tobytes()).hexdigest()


# --- atomic files ----------------------------------------------------------------------------


def _umask() -> int:
    try:  # Linux says it without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_SHARED_MODE = 0o666 & ~_umask()  # what open() would give a new file


def atomic_write_parts(
    directory: Path, parts: Iterable[bytes], name: str | Callable[[str], str], fault: str
) -> tuple[Path, str]:
    """Write ``parts`` to a temp file in ``directory``, fsync, rename it to ``name`` (or to
    ``name(sha256)`` when the name depends on the content), fsync the folder. Returns the
    final path and the content's sha256. ``fault``: the crash-test point before the rename."""
    label = name if isinstance(name, str) else "part"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{label}.", suffix=".tmp")
    digest = hashlib.sha256()
    try:
        # mkstemp makes 0600 files; snapshots are as readable as the catalog beside them, or
        # a service account that may only read would find them unreadable and rebuild.
        os.fchmod(fd, _SHARED_MODE)
        with os.fdopen(fd, "wb") as f:
            for data in parts:
                digest.update(data)
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        sha = digest.hexdigest()
        target = directory / (name if isinstance(name, str) else name(sha))
        fault_point(fault)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(f"no space left to save the vector index in {directory}") from exc
        raise
    fsync_dir(directory)
    return target, sha


def atomic_write(target: Path, data: bytes | np.ndarray, fault: str) -> str:
    """Atomically replace ``target`` with ``data``; returns its sha256."""
    raw = data.tobytes() if isinstance(data, np.ndarray) else data
    return atomic_write_parts(target.parent, [raw], target.name, fault)[1]


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def temp_files(directory: Path) -> list[Path]:
    """Temp files an interrupted save left behind."""
    return sorted(directory.glob(TEMP_GLOB))


def size_bytes(directory: Path) -> int:
    """Bytes of the snapshot's files (temp and spill files, which start with a dot, aside)."""
    total = 0
    for path in directory.glob("[!.]*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def remove_temp_files(directory: Path) -> list[str]:
    """Delete the temp files of interrupted saves (the writer's lock held); their names."""
    removed = []
    for tmp in temp_files(directory):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp.name)
    return removed


# --- manifest --------------------------------------------------------------------------------


def read_manifest_bytes(directory: Path) -> bytes | None:
    """The manifest as stored (compared to notice another process's save); None if absent."""
    try:
        return (directory / MANIFEST_FILE).read_bytes()
    except OSError:
        return None


def parse_manifest(raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise IndexCorrupt(f"cannot read {MANIFEST_FILE}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"{MANIFEST_FILE} is not a JSON object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(f"unknown index format {manifest.get('format_version')!r}")
    return manifest


def read_manifest(directory: Path | str) -> dict[str, Any]:
    """The parsed manifest; IndexCorrupt when missing, unparsable or of an unknown format."""
    raw = read_manifest_bytes(Path(directory))
    if raw is None:
        raise IndexCorrupt(f"cannot read {MANIFEST_FILE}: no such file")
    return parse_manifest(raw)


def write_manifest(
    directory: Path, index: VectorIndex, index_fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Describe ``index`` (whose files are already in place) and write the manifest last."""
    ids = index.ids()
    manifest = {
        **index_fields,
        "format_version": FORMAT_VERSION,
        "dim": index.dim,
        "count": index.ntotal,
        "max_id": int(ids.max()) if len(ids) else None,
        "ids_sha256": ids_sha256(ids),
        "saved_at": time.time(),
    }
    data = json.dumps(manifest, sort_keys=True).encode()
    atomic_write(directory / MANIFEST_FILE, data, "manifest-rename")
    return manifest


def check_matches_manifest(index: VectorIndex, manifest: Mapping[str, Any]) -> None:
    """IndexCorrupt unless the loaded ``index`` holds what its manifest says."""
    if index.dim != manifest.get("dim"):
        raise IndexCorrupt(f"the index is {index.dim}-d, the manifest says {manifest.get('dim')}")
    if index.ntotal != manifest.get("count") or ids_sha256(index.ids()) != manifest.get(
        "ids_sha256"
    ):
        raise IndexCorrupt(f"{INDEX_FILE} content disagrees with the manifest")


def model_fields(model: ModelIdentity) -> dict[str, Any]:
    """The manifest entry that names the model a snapshot's vectors come from."""
    return {"model": {"label": model.label, "identity": model.to_json()}}


# --- lock ------------------------------------------------------------------------------------


class SnapshotLock:
    """Inter-process lock on the index folder: exclusive for writers, shared for loaders."""

    def __init__(self, directory: Path, *, create: bool) -> None:
        path = directory / LOCK_FILE
        self._fd: int | None = None
        if fcntl is None:
            return
        if create:
            directory.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        elif path.exists():
            self._fd = os.open(path, os.O_RDONLY)

    @contextlib.contextmanager
    def hold(self, exclusive: bool) -> Iterator[None]:
        if self._fd is None or fcntl is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# --- loading ---------------------------------------------------------------------------------


def load(
    directory: Path,
    factory: VectorIndexFactory,
    *,
    mmap: bool = False,
    expected: Mapping[str, Any] | None = None,
) -> tuple[VectorIndex, dict[str, Any]]:
    """Read a snapshot and check it holds what its manifest says. IndexCorrupt if a file is
    missing or damaged, or a manifest field differs from ``expected``."""
    raw = read_manifest_bytes(directory)
    if raw is None:
        raise IndexCorrupt(f"cannot read {MANIFEST_FILE}: no such file")
    manifest = parse_manifest(raw)
    for key, want in (expected or {}).items():
        if manifest.get(key) != want:
            raise IndexCorrupt(f"manifest {key} is {manifest.get(key)!r}, expected {want!r}")
    return _load_files(directory, manifest, factory, mmap), manifest


def _load_files(
    directory: Path, manifest: Mapping[str, Any], factory: VectorIndexFactory, mmap: bool
) -> VectorIndex:
    index = factory.load_files(directory, manifest, mmap=mmap)
    check_matches_manifest(index, manifest)
    return index


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A loaded snapshot that agrees with the catalog."""

    index: VectorIndex
    manifest: dict[str, Any]
    manifest_bytes: bytes


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: a usable ``snapshot``, or the ``problem`` that rules it out
    (e.g. "missing", "corrupt: …", "stale: …"), phrased to follow "the vector index is"."""

    snapshot: Snapshot | None = None
    problem: str | None = None


def verify(
    directory: Path,
    model: ModelIdentity,
    catalog_ids: np.ndarray,
    factory: VectorIndexFactory,
    *,
    mmap: bool = False,
) -> Verdict:
    """Load the snapshot in ``directory`` and judge it against the catalog's model and
    segment ids (sorted). Never raises for a bad snapshot: the verdict says what is wrong.
    A store that is not a folder of files (Milvus) judges itself: ``factory.verify_store``."""
    own = getattr(factory, "verify_store", None)
    if own is not None:
        return own(directory, model, catalog_ids)
    raw = read_manifest_bytes(directory)
    if raw is None or not (directory / INDEX_FILE).exists():
        return Verdict(problem="missing")
    try:
        manifest = parse_manifest(raw)
        index = _load_files(directory, manifest, factory, mmap)
    except IndexCorrupt as exc:
        return Verdict(problem=f"corrupt: {exc}")
    built_with = (manifest.get("model") or {}).get("identity")
    if built_with != model.to_json() or index.dim != model.dim:
        label = (manifest.get("model") or {}).get("label", "an unknown model")
        return Verdict(problem=f"stale: built with {label}, the catalog's model is {model.label}")
    if manifest["ids_sha256"] != ids_sha256(catalog_ids):
        return Verdict(problem=f"stale: {_id_difference(index.ids(), catalog_ids)}")
    return Verdict(snapshot=Snapshot(index, manifest, raw))


def describe(problem: str) -> str:
    """The sentence a front end shows for a ``Verdict.problem``."""
    return f"the vector index is {problem}"


def _id_difference(index_ids: np.ndarray, catalog_ids: np.ndarray) -> str:
    lacking = len(np.setdiff1d(catalog_ids, index_ids))
    extra = len(np.setdiff1d(index_ids, catalog_ids))
    return (
        f"{lacking} catalog segments are missing from it and {extra} segments in it are not in "
        f"the catalog ({len(index_ids)} in the index, {len(catalog_ids)} in the catalog)"
    )


id_difference = _id_difference  # for stores that verify themselves
