"""Verifying a library (catalog ↔ vector snapshot ↔ files on disk) and repairing it.

``check_library`` looks at what is on disk, not at what ``Library`` made of it (loading
rebuilds a bad snapshot in memory): the catalog's own integrity and orphan rows, the snapshot
(judged by ``snapshot.verify``, the function the library's load uses, so both give the same
reason), every vector against the catalog, left-over temp files of an interrupted save,
every catalog entry's file (still there, same size), and the keyword index against the text
spans (SQLite's FTS5 integrity check). Failed entries are listed but are not problems.

``repair_library`` fixes what the catalog (the source of truth) can fix: orphan rows are
dropped, the snapshot is rebuilt and saved atomically, temp files are removed, the keyword
index is rebuilt from the spans. Missing or changed video files and a damaged catalog are
left to the user (``vidseek index --prune``, re-indexing, a backup).
"""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from vidseek.core import snapshot
from vidseek.core.catalog.text_index import rebuild_text_index, text_index_problems
from vidseek.core.errors import CatalogError
from vidseek.core.library import Library
from vidseek.core.vector_index import VectorIndex

# Kinds of problems; the first group --repair fixes.
FIXABLE = frozenset({"snapshot", "vectors", "orphans", "temp-file", "text-index"})


@dataclass(frozen=True)
class Problem:
    kind: str  # snapshot | vectors | orphans | temp-file | catalog | segments | file-missing | …
    detail: str
    fixable: bool


@dataclass
class CheckReport:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    repaired: list[str] = field(default_factory=list)  # what --repair did

    @property
    def clean(self) -> bool:
        return not self.problems

    def add(self, kind: str, detail: str) -> None:
        self.problems.append(Problem(kind, detail, kind in FIXABLE))

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "counts": self.counts,
            "problems": [asdict(p) for p in self.problems],
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "repaired": self.repaired,
        }


def check_library(
    library: Library, *, sample: int | None = None, files: bool = True, seed: int = 0
) -> CheckReport:
    """Verify ``library``. ``sample`` compares that many random vectors (default: all);
    ``files=False`` skips looking at the video files."""
    report = CheckReport()
    catalog = library.catalog
    try:
        damage = catalog.integrity_problems()
    except CatalogError as exc:  # too damaged even to be checked
        report.add("catalog", f"catalog: {exc.__cause__ or exc}")
        return report
    for line in damage:
        report.add("catalog", f"catalog integrity: {line}")
    if damage:
        return report  # the rest would read a damaged database
    with catalog.engine.begin() as conn:
        for line in text_index_problems(conn):
            report.add("text-index", line)
    frames, segs = catalog.orphan_counts()
    if frames or segs:
        report.add("orphans", f"{frames} frame rows and {segs} segment rows belong to no video")
    for vid, path, recorded, stored in catalog.segment_count_mismatches():
        report.add("segments", f"video {vid} ({path}) records {recorded} segments but has {stored}")
    states = catalog.file_states()
    failed = sorted((p, s.id) for p, s in states.items() if s.status == "failed")
    report.failed = [(path, catalog.video(vid).error or "") for path, vid in failed]
    table = catalog.segment_table()
    report.counts = {
        "videos": sum(s.status == "indexed" for s in states.values()),
        "failed": len(report.failed),
        "segments": len(table.ids),
    }
    _check_snapshot(library, table.ids, report, sample, seed)
    for tmp in snapshot.temp_files(library.index_dir):
        report.add("temp-file", f"left-over temp file of an interrupted save: {tmp.name}")
    if files:
        _check_files(states, report)
    return report


def _check_snapshot(
    library: Library, ids: np.ndarray, report: CheckReport, sample: int | None, seed: int
) -> None:
    model = library.catalog.model()
    if model is None:
        return
    verdict = snapshot.verify(library.index_dir, model, ids, library.index_factory)
    if verdict.snapshot is None:
        assert verdict.problem is not None
        report.add("snapshot", snapshot.describe(verdict.problem))
        return
    index = verdict.snapshot.index
    try:
        _compare_vectors(library, index, ids, report, sample, seed)
    finally:
        index.close()


def _compare_vectors(
    library: Library,
    index: VectorIndex,
    ids: np.ndarray,
    report: CheckReport,
    sample: int | None,
    seed: int,
) -> None:
    """Every (or a sample of) vector in the verified ``index`` against the catalog's."""
    model = library.catalog.model()
    assert model is not None
    report.counts["index"] = index.ntotal
    common = ids
    if sample is not None and sample < len(common):
        picked = random.Random(seed).sample(range(len(common)), sample)
        common = np.sort(common[picked])
    report.counts["vectors_compared"] = len(common)
    if not len(common):
        return
    atol = 1e-3 if index.spec.kind == "ivfpq" else 1e-6  # ivfpq re-ranks from float16 copies
    bad = 0
    for batch_ids, truth in library.catalog.segment_vectors(model.dim, ids=common):
        mine = index.vectors_of(batch_ids)
        bad += int((~np.all(np.isclose(mine, truth, rtol=0, atol=atol), axis=1)).sum())
    if bad:
        report.add("vectors", f"{bad} of {len(common)} index vectors differ from the catalog")


def _check_files(states: dict[str, Any], report: CheckReport) -> None:
    missing = changed = 0
    for path, state in sorted(states.items()):
        try:
            size = os.stat(path).st_size
        except OSError:
            missing += 1
            report.add("file-missing", f"{path} is gone (pruning its folder forgets it)")
            continue
        if state.status == "indexed" and size != state.size:
            changed += 1
            report.add(
                "file-changed",
                f"{path} changed size ({state.size} → {size} bytes); index it again",
            )
    report.counts["files_missing"] = missing
    report.counts["files_changed"] = changed


def repair_library(library: Library, report: CheckReport) -> list[str]:
    """Fix the fixable problems of ``report`` in ``library`` (opened writable); returns
    what was done, one line each."""
    done: list[str] = []
    kinds = {p.kind for p in report.problems}
    if "orphans" in kinds:
        n = library.delete_orphans()
        done.append(f"dropped orphan frame/segment rows ({n} segments)")
    if kinds & {"snapshot", "vectors", "orphans"}:
        library.load_index()  # rebuilds a snapshot that fails ``snapshot.verify``, saying why
        now = CheckReport()
        _check_snapshot(library, library.catalog.segment_table().ids, now, None, 0)
        if now.problems:
            n = library.rebuild_index()
            done.append(f"rebuilt the vector index from the catalog ({n} segments)")
    if "text-index" in kinds:
        with library.catalog.engine.begin() as conn:
            rebuild_text_index(conn)
        done.append("rebuilt the keyword index from the catalog's text spans")
    stale = {p.detail.rsplit(": ", 1)[-1] for p in report.problems if p.kind == "temp-file"}
    stale.update(tmp.name for tmp in snapshot.temp_files(library.index_dir))
    for name in sorted(stale):  # loading the index writable may already have removed them
        with contextlib.suppress(OSError):
            (library.index_dir / name).unlink(missing_ok=True)
            done.append(f"removed left-over temp file {name}")
    return done
