"""An indexing job, reader → mapper → writer.

The reader discovers files and skips content already indexed (by hash); an executor runs the
mapper (decode → encode → segment → pool) over the rest; the writer commits each result into
the library durably as it arrives, so a job stopped at any point resumes where it was.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from indexer.discover import content_hash, discover
from indexer.embed import WorkItem
from indexer.executors import Executor, InlineExecutor
from indexer.frames import Decoder
from indexer.options import IndexOptions
from search.errors import DecodeError
from search.library import Library
from search.types import Encoder, VideoCommit

__all__ = ["FileOutcome", "IndexOptions", "IndexReport", "ProgressListener", "index_paths"]


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    status: str  # "indexed" | "unchanged" | "failed"
    reason: str = ""
    frames: int = 0
    segments: int = 0
    video_id: int | None = None
    duration: float = 0.0


@dataclass
class IndexReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def frames(self) -> int:
        return sum(o.frames for o in self.outcomes)

    @property
    def nothing_done(self) -> bool:
        """True when files were given but none ended indexed or unchanged."""
        return bool(self.outcomes) and not (self.of("indexed") or self.of("unchanged"))


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
) -> IndexReport:
    """Index every video under ``paths`` into ``library``; one bad file never stops the job."""
    options = options or IndexOptions()
    progress = progress or SilentProgress()
    executor = executor or InlineExecutor(decoder)
    library.bind_model(encoder.identity)
    files = discover([Path(p) for p in paths])
    report = IndexReport()
    began = time.monotonic()
    progress.started(len(files))

    def finish(outcome: FileOutcome) -> None:
        report.outcomes.append(outcome)
        progress.file_finished(outcome)

    todo = []
    for path in files:
        item_or_outcome = _read(library, path)
        if isinstance(item_or_outcome, FileOutcome):
            finish(item_or_outcome)
        else:
            todo.append(item_or_outcome)
    with library.batch():  # commit each video durably, but rewrite the index snapshot rarely
        for item, result in executor.map(todo, encoder, options, progress.frames_encoded):
            finish(_write(library, item, result))
    report.seconds = time.monotonic() - began
    return report


def _read(library: Library, path: Path) -> WorkItem | FileOutcome:
    try:
        stat = path.stat()
        digest = content_hash(path)
    except OSError as exc:
        return FileOutcome(path, "failed", f"cannot read file: {exc.strerror or exc}")
    known = library.find_video_by_hash(digest)
    if known is not None:
        note = "" if known.path == str(path) else f"same content as {known.path}"
        return FileOutcome(path, "unchanged", note, video_id=known.id)
    return WorkItem(path, digest, stat.st_size, stat.st_mtime)


def _write(library: Library, item: WorkItem, result: VideoCommit | DecodeError) -> FileOutcome:
    if isinstance(result, DecodeError):
        library.record_failure(str(item.path), item.content_hash, item.size, str(result))
        return FileOutcome(item.path, "failed", str(result))
    record = library.commit_video(result)
    frames, segments = len(result.frame_times), len(result.segments)
    return FileOutcome(item.path, "indexed", "", frames, segments, record.id, result.info.duration)
