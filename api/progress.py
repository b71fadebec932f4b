"""Terminal progress for indexing jobs: a files bar with frames/s, quiet when not a TTY."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from indexer.pipeline import FileOutcome


class TerminalProgress:
    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: tqdm | None = None
        self._frames = 0

    def started(self, total_files: int) -> None:
        self._bar = tqdm(
            total=total_files, unit="file", disable=not self.enabled, file=sys.stderr,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} files [{elapsed}<{remaining}] {postfix}",
        )  # fmt: skip

    def file_started(self, path: Path) -> None:
        if self._bar is not None:
            self._bar.set_description_str(path.name[:30])

    def frames_encoded(self, count: int) -> None:
        self._frames += count
        if self._bar is not None:
            elapsed = self._bar.format_dict.get("elapsed") or 0.0
            rate = self._frames / elapsed if elapsed else 0.0
            self._bar.set_postfix_str(f"{self._frames} frames, {rate:.0f} frames/s", refresh=True)

    def file_finished(self, outcome: FileOutcome) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
