"""The decoder seam: a path and a sampling rate in, frames with their real timestamps out."""

from __future__ import annotations

import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np

from vidseek.core.errors import DecodeError
from vidseek.core.types import VideoInfo


@dataclass
class FrameBatch:
    """Consecutive sampled frames of one video.

    ``times`` are presentation timestamps in seconds read from the stream (never
    ``index / fps``), so variable-frame-rate files get true times.
    """

    times: np.ndarray  # float64 (n,)
    images: np.ndarray  # uint8 (n, H, W, 3), RGB
    backend: str = ""  # which decoder produced these frames ("decord" or "pyav")


class Decoder(ABC):
    """Opens files and yields sampled frames. Raises ``DecodeError`` with a readable reason.

    The whole contract: ``probe`` and ``frames`` (every decoder), ``frame_at`` (one frame,
    for thumbnails; a decoder that cannot seek says so with a ``DecodeError``), ``close``
    (release what the decoder holds, e.g. a worker process; nothing by default) and
    ``interrupt`` (abort the call in flight from another thread, where possible) and
    ``reads_ahead``: true for a decoder that already decodes ahead of its reader by itself
    and must be driven from one thread only (``IsolatedDecoder``); others are run ahead by
    ``read_ahead``.
    """

    name: str = "decoder"
    reads_ahead: bool = False

    @abstractmethod
    def probe(self, path: Path) -> VideoInfo:
        """Read container metadata without decoding the whole file."""

    @abstractmethod
    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        """Yield frames sampled at ``fps`` frames per second of video time.

        One frame is kept per sampling slot ``[i/fps, (i+1)/fps)``: the first frame whose
        timestamp falls in it. With ``short_side`` frames are resized (aspect kept) so the
        shorter side equals it, which bounds memory and transfer cost.
        """

    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        """The first frame whose timestamp is at or after ``at`` seconds (the last frame when
        ``at`` is past the end), as ``frames`` would give it: one frame, its real time."""
        raise DecodeError(f"the {self.name} decoder cannot fetch a single frame")

    def close(self) -> None:  # noqa: B027 - doing nothing is the right default
        """Release what the decoder holds; it may still be used afterwards (it reopens)."""

    def interrupt(self) -> None:  # noqa: B027 - in-process decoding cannot be aborted
        """From another thread: make the call in flight fail now, where the decoder can (an
        isolated worker is killed). Used to cancel a job mid-file."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_STOP_POLL_S = 0.1  # how often a blocked producer looks whether its reader left


def put_unless_stopped(out: queue.Queue[Any], message: Any, stop: threading.Event) -> bool:
    """Put ``message`` into the bounded queue ``out``, waiting for room until ``stop`` is set;
    False if it was set first (the reader is gone: the producer should end)."""
    while not stop.is_set():
        try:
            out.put(message, timeout=_STOP_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def read_ahead(batches: Iterator[FrameBatch], depth: int) -> Iterator[FrameBatch]:
    """``batches``, produced by a thread that runs up to ``depth`` batches ahead of the reader.

    Decoders release the GIL while decoding and scaling, so the next frames are decoded while
    the reader encodes the current ones. At most ``depth`` finished batches wait in memory
    (plus the one being decoded). An exception of the producer is raised in the reader at the
    point it occurred; when the reader stops early, the producer is stopped and closed.
    ``depth`` 0 returns ``batches`` unchanged (no thread).
    """
    if depth <= 0:
        return batches
    return _read_ahead(batches, depth)


def _read_ahead(batches: Iterator[FrameBatch], depth: int) -> Iterator[FrameBatch]:
    out: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        return put_unless_stopped(out, message, stop)

    def produce() -> None:
        try:
            for batch in batches:
                if not put(("batch", batch)):
                    return
            put(("done", None))
        except BaseException as e:  # noqa: BLE001 - handed to the reader, e.g. MemoryError
            put(("error", e))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="vidseek-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, payload = out.get()
            if kind == "batch":
                yield payload
            elif kind == "done":
                return
            else:
                raise payload
    finally:
        stop.set()
        thread.join()
