"""The decoder of a server index job: cancellable mid-file, and confined to the media roots.

The job checked each file against the media roots when it was queued, but a file can be
swapped for a symlink to somewhere else afterwards. So each file is opened here, the check is
made on that open descriptor, and the decoder (an isolated worker too) reads the file through
the descriptor (``/proc/PID/fd/N``): what it decodes is what was checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from vidseek.api.served_files import Refused, open_inside
from vidseek.core.errors import DecodeError
from vidseek.core.types import VideoInfo
from vidseek.indexer.frames import Decoder, FrameBatch


class JobCancelled(Exception):
    """Raised from a job's progress listener or decoder to stop it."""


class CancellableJob(Protocol):
    cancel_requested: bool
    interrupt: object


class JobDecoder(Decoder):
    """``inner`` under the job: a cancel aborts the decode in flight (and the file it was on
    ends the job as cancelled, not as a bad file); files resolving outside ``roots`` are
    refused at the moment they are opened."""

    def __init__(self, inner: Decoder, job: CancellableJob, roots: Sequence[Path] = ()) -> None:
        self.inner, self.job, self.roots = inner, job, tuple(roots)
        self.name, self.reads_ahead = inner.name, inner.reads_ahead
        job.interrupt = inner.interrupt

    def probe(self, path: Path) -> VideoInfo:
        with self._cancellation(), self._confined(path) as opened:
            return self.inner.probe(opened)

    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        with self._cancellation(), self._confined(path) as opened:
            for batch in self.inner.frames(opened, fps, short_side, batch_size):
                if self.job.cancel_requested:
                    raise JobCancelled()
                yield batch

    def close(self) -> None:
        self.job.interrupt = None
        self.inner.close()

    @contextmanager
    def _cancellation(self) -> Iterator[None]:
        try:
            yield
        except DecodeError:
            if self.job.cancel_requested:
                raise JobCancelled() from None
            raise

    @contextmanager
    def _confined(self, path: Path) -> Iterator[Path]:
        if not self.roots:
            yield path
            return
        try:
            fd, real, _ = open_inside(path, self.roots)
        except OSError as exc:
            raise DecodeError(f"cannot read file ({exc.strerror or exc})") from None
        except Refused as exc:
            raise DecodeError(f"refused: {exc}") from None
        try:
            by_descriptor = Path(f"/proc/{os.getpid()}/fd/{fd}")
            yield by_descriptor if by_descriptor.exists() else real
        finally:
            os.close(fd)
