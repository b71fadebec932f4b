"""An indexing job, reader → mapper → writer.

The reader discovers files and skips content already indexed: a path whose size and mtime
match its catalog row is not even hashed (``rehash`` forces hashing, for tools that rewrite
content but keep size and mtime); content already indexed under a path that is gone is a
move (the row takes the new path, vectors kept); under a path that still holds it, a copy.
An executor runs the mapper (decode → encode → segment → pool) over the rest; the writer
commits each result into the library durably as it arrives, so a job stopped at any point
resumes where it was. With ``prune``, rows of files gone from under the given paths go.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vidseek.core.errors import DecodeError, VideoNotFound
from vidseek.core.library import FileState, Library
from vidseek.core.types import Encoder, VideoCommit, VideoRecord
from vidseek.indexer.claiming import claimed_map
from vidseek.indexer.discover import content_hash, discover
from vidseek.indexer.embed import WorkItem
from vidseek.indexer.evidence import EvidenceOutcome, EvidenceRunner, choose_kinds
from vidseek.indexer.executors import Executor, InlineExecutor
from vidseek.indexer.frames import Decoder
from vidseek.indexer.options import IndexOptions

__all__ = ["FileOutcome", "IndexOptions", "IndexReport", "ProgressListener", "index_paths"]


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    status: str  # "indexed" | "unchanged" | "moved" | "failed"
    reason: str = ""
    frames: int = 0
    segments: int = 0
    video_id: int | None = None
    duration: float = 0.0


@dataclass
class IndexReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    pruned: list[str] = field(default_factory=list)  # paths whose rows --prune removed
    evidence: list[EvidenceOutcome] = field(default_factory=list)  # per video and kind
    # seconds per stage: "visual" (decode, embed, commit: all the rest), "subtitle", ...
    stages: dict[str, float] = field(default_factory=dict)

    def of(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def frames(self) -> int:
        return sum(o.frames for o in self.outcomes)

    @property
    def nothing_done(self) -> bool:
        """True when files were given but none ended indexed or unchanged."""
        done = self.of("indexed") or self.of("unchanged") or self.of("moved")
        return bool(self.outcomes) and not done


class ProgressListener(Protocol):
    def started(self, total_files: int) -> None: ...
    def file_started(self, path: Path) -> None: ...
    def frames_encoded(self, count: int) -> None: ...
    def file_finished(self, outcome: FileOutcome) -> None: ...


class SilentProgress:
    def started(self, total_files: int) -> None: ...
    def file_started(self, path: Path) -> None: ...
    def frames_encoded(self, count: int) -> None: ...
    def file_finished(self, outcome: FileOutcome) -> None: ...


def index_paths(
    library: Library,
    encoder: Encoder,
    paths: Sequence[Path],
    *,
    options: IndexOptions | None = None,
    executor: Executor | None = None,
    decoder: Decoder | None = None,
    progress: ProgressListener | None = None,
    rehash: bool = False,
    prune: bool = False,
) -> IndexReport:
    """Index every video under ``paths`` into ``library``; one bad file never stops the job.

    ``rehash`` hashes every file even when size and mtime match the catalog; ``prune``
    removes the rows of files that no longer exist under ``paths`` (never elsewhere)."""
    options = options or IndexOptions()
    progress = progress or SilentProgress()
    executor = executor or InlineExecutor(decoder)
    library.bind_model(encoder.identity)
    roots = [Path(p) for p in paths]
    files = discover(roots)
    report = IndexReport()
    began = time.monotonic()
    kinds = choose_kinds(library.catalog, options.evidence.kinds)
    evidence = EvidenceRunner(library.catalog, kinds, options, decoder)  # closed at the end
    progress.started(len(files))

    def finish(outcome: FileOutcome) -> None:
        report.evidence.extend(_evidence_for(evidence, outcome))
        report.outcomes.append(outcome)
        progress.file_finished(outcome)

    # commit each video durably, but rewrite the index snapshot rarely
    with library.batch(), contextlib.closing(evidence):
        reader = _Reader(library, rehash)
        todo = []
        for path in files:
            item_or_outcome = reader.read(path)
            if isinstance(item_or_outcome, FileOutcome):
                finish(item_or_outcome)
            else:
                todo.append(item_or_outcome)
        # Claimed just before embedding, so concurrent jobs on this library split the work.
        results = claimed_map(
            library, executor, todo, encoder, options, progress.frames_encoded,
            lambda item, record: finish(_done_elsewhere(item, record)),
            on_start=lambda item: progress.file_started(item.path),
        )  # fmt: skip
        for item, result in results:
            finish(_write(library, item, result))
        if prune:
            report.pruned = prune_missing(library, roots)
    report.seconds = time.monotonic() - began
    spent = dict(evidence.seconds)
    report.stages = {"visual": max(0.0, report.seconds - sum(spent.values())), **spent}
    return report


def _evidence_for(runner: EvidenceRunner, outcome: FileOutcome) -> list[EvidenceOutcome]:
    """Evidence for a file this job indexed (every kind), or found indexed under its own
    path, unchanged or moved (the kinds it still lacks: a job killed before, a kind new)."""
    if not runner.kinds or outcome.video_id is None:
        return []
    if outcome.status not in ("indexed", "unchanged", "moved"):
        return []
    if outcome.reason and outcome.status != "moved":
        return []  # a copy of another file, or indexed by another process: theirs to do
    kinds = runner.kinds if outcome.status == "indexed" else runner.missing(outcome.video_id)
    return runner.run(outcome.video_id, outcome.path, kinds) if kinds else []


class _Reader:
    """Decides per file: skip, move, copy, or embed. Catalog state is read once per job."""

    def __init__(self, library: Library, rehash: bool) -> None:
        self.library = library
        self.rehash = rehash
        self.states = library.file_states()
        self.queued: dict[str, Path] = {}  # content hash → first path queued in this job

    def read(self, path: Path) -> WorkItem | FileOutcome:
        try:
            stat = path.stat()
            here = self.states.get(str(path))
            if not self.rehash and _same_stat(here, stat.st_size, stat.st_mtime):
                assert here is not None
                return FileOutcome(path, "unchanged", video_id=here.id)
            digest = content_hash(path)
        except OSError as exc:
            return FileOutcome(path, "failed", f"cannot read file: {exc.strerror or exc}")
        if here is not None and here.status == "indexed" and here.content_hash == digest:
            if here.mtime != stat.st_mtime:
                self.library.touch_video(here.id, stat.st_mtime)
            return FileOutcome(path, "unchanged", video_id=here.id)
        known = self.library.find_video_by_hash(digest)
        if known is not None and self._still_holds(known.path, digest):
            self._drop_stale(here)
            note = f"same content as {known.path}"
            return FileOutcome(path, "unchanged", note, video_id=known.id)
        if known is not None:  # moved or renamed: keep the vectors, take the new path
            self.library.move_video(known.id, str(path), stat.st_size, stat.st_mtime)
            self.states.pop(known.path, None)
            return FileOutcome(path, "moved", f"moved from {known.path}", video_id=known.id)
        if digest in self.queued:
            self._drop_stale(here)
            return FileOutcome(path, "unchanged", f"same content as {self.queued[digest]}")
        self.queued[digest] = path
        return WorkItem(path, digest, stat.st_size, stat.st_mtime)

    def _drop_stale(self, here: FileState | None) -> None:
        """A path now holding a copy of other content: its own row (old content) goes."""
        if here is not None:
            with contextlib.suppress(VideoNotFound):
                self.library.remove_video(here.id)
            self.states.pop(here.path, None)

    def _still_holds(self, path: str, digest: str) -> bool:
        """Does the file at ``path`` (another file's row) still have content ``digest``?"""
        try:
            stat = os.stat(path)
            if _same_stat(self.states.get(path), stat.st_size, stat.st_mtime) and not self.rehash:
                return True
            return content_hash(Path(path)) == digest
        except OSError:
            return False


def _same_stat(state: FileState | None, size: int, mtime: float) -> bool:
    """The cheap skip: an indexed row with the same size and mtime is taken as unchanged."""
    return (
        state is not None and state.status == "indexed" and state.size == size
        and state.mtime == mtime
    )  # fmt: skip


def prune_missing(library: Library, roots: Sequence[Path]) -> list[str]:
    """Remove the rows (indexed or failed) of files under ``roots`` that no longer exist."""
    prefixes = [str(Path(r).absolute()) for r in roots]
    pruned = []
    for path, state in sorted(library.file_states().items()):
        if not any(_under(path, p) for p in prefixes) or os.path.lexists(path):
            continue
        with contextlib.suppress(VideoNotFound):
            library.remove_video(state.id)
            pruned.append(path)
    return pruned


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _done_elsewhere(item: WorkItem, record: VideoRecord) -> FileOutcome:
    """An item another process committed while this job ran."""
    if record.status == "failed":
        return FileOutcome(item.path, "failed", record.error or "", video_id=record.id)
    note = "indexed by another process" if record.path == str(item.path) else ""
    note = note or f"same content as {record.path}"
    return FileOutcome(item.path, "unchanged", note, video_id=record.id)


def _write(library: Library, item: WorkItem, result: VideoCommit | DecodeError) -> FileOutcome:
    if isinstance(result, DecodeError):
        library.record_failure(
            str(item.path), item.content_hash, item.size, str(result), item.mtime
        )
        return FileOutcome(item.path, "failed", str(result))
    record = library.commit_video(result)
    frames, segments = len(result.frame_times), len(result.segments)
    return FileOutcome(item.path, "indexed", "", frames, segments, record.id, result.info.duration)
