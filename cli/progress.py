"""Progress of indexing jobs: a terminal bar for people, JSON-lines events for machines.

``TerminalProgress`` shows files done of total, frames/s and an ETA (quiet when not a TTY).
``JsonLogProgress`` writes one JSON object per line (to stderr by default):

- ``{"event": "job_started", "files": N, "time": T}``
- ``{"event": "file_finished", "path", "status", "reason", "frames", "segments", "video_id",
  "elapsed"}`` with status ``indexed`` | ``unchanged`` | ``moved`` | ``failed``
- ``{"event": "job_finished", "indexed", "unchanged", "moved", "failed", "pruned", "frames",
  "seconds", "time"}``

``time`` is Unix seconds; ``elapsed`` seconds since the job started.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO

from tqdm import tqdm

from vidseek.indexer.pipeline import FileOutcome, IndexReport, ProgressListener

STATUSES = ("indexed", "unchanged", "moved", "failed")


class TerminalProgress:
    """A files bar with frames, frames/s and an ETA; disabled when stderr is not a TTY."""

    def __init__(self, enabled: bool | None = None, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._bar: tqdm | None = None
        self._frames = 0
        self._began = time.monotonic()
        self._counts = dict.fromkeys(STATUSES, 0)

    def started(self, total_files: int) -> None:
        self._began = time.monotonic()
        self._bar = tqdm(
            total=total_files, unit="file", disable=not self.enabled, file=self.stream,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} files "
            "[{elapsed} elapsed, ETA {remaining}] {postfix}",
        )  # fmt: skip

    def file_started(self, path: Path) -> None:
        if self._bar is not None:
            self._bar.set_description_str(path.name[:30])

    def frames_encoded(self, count: int) -> None:
        self._frames += count
        self._refresh()

    def file_finished(self, outcome: FileOutcome) -> None:
        self._counts[outcome.status] = self._counts.get(outcome.status, 0) + 1
        if self._bar is not None:
            self._bar.set_description_str(outcome.path.name[:30], refresh=False)
            self._bar.update(1)
        self._refresh()

    def postfix(self) -> str:
        """``"1234 frames, 56 frames/s, 3 failed"``: what the bar shows after the counts."""
        elapsed = time.monotonic() - self._began
        rate = self._frames / elapsed if elapsed > 0 else 0.0
        text = f"{self._frames} frames, {rate:.0f} frames/s"
        if self._counts["failed"]:
            text += f", {self._counts['failed']} failed"
        return text

    def _refresh(self) -> None:
        if self._bar is not None and self.enabled:
            self._bar.set_postfix_str(self.postfix(), refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class JsonLogProgress:
    """Structured JSON-lines events about a job, one flushed line each."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._began = time.monotonic()

    def emit(self, event: str, **fields: object) -> None:
        line = json.dumps({"event": event, **fields}, ensure_ascii=False, sort_keys=False)
        self.stream.write(line + "\n")
        self.stream.flush()

    def started(self, total_files: int) -> None:
        self._began = time.monotonic()
        self.emit("job_started", files=total_files, time=round(time.time(), 3))

    def file_started(self, path: Path) -> None:
        pass

    def frames_encoded(self, count: int) -> None:
        pass

    def file_finished(self, outcome: FileOutcome) -> None:
        self.emit(
            "file_finished",
            path=str(outcome.path),
            status=outcome.status,
            reason=outcome.reason,
            frames=outcome.frames,
            segments=outcome.segments,
            video_id=outcome.video_id,
            elapsed=round(time.monotonic() - self._began, 3),
        )

    def finished(self, report: IndexReport) -> None:
        self.emit("job_finished", **summary(report), time=round(time.time(), 3))


def summary(report: IndexReport) -> dict[str, object]:
    """Counts per status, pruned rows, frames and seconds of a finished job; seconds per
    stage (visual and each kind of evidence) and, per kind, videos done and failed."""
    counts: dict[str, object] = {s: len(report.of(s)) for s in STATUSES}
    counts.update(pruned=len(report.pruned), frames=report.frames)
    counts["seconds"] = round(report.seconds, 3)
    counts["stages"] = {k: round(v, 3) for k, v in report.stages.items()}
    evidence: dict[str, dict[str, int]] = {}
    for o in report.evidence:
        kind = evidence.setdefault(o.kind, {"done": 0, "failed": 0, "spans": 0})
        kind[o.status] = kind.get(o.status, 0) + 1
        kind["spans"] += o.spans
    counts["evidence"] = evidence
    return counts


class Fanout:
    """One listener that forwards every call to several."""

    def __init__(self, *listeners: ProgressListener) -> None:
        self.listeners = listeners

    def started(self, total_files: int) -> None:
        for listener in self.listeners:
            listener.started(total_files)

    def file_started(self, path: Path) -> None:
        for listener in self.listeners:
            listener.file_started(path)

    def frames_encoded(self, count: int) -> None:
        for listener in self.listeners:
            listener.frames_encoded(count)

    def file_finished(self, outcome: FileOutcome) -> None:
        for listener in self.listeners:
            listener.file_finished(outcome)
