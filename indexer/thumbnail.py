"""Single frames (for thumbnails) decoded by the indexing decoder in isolated worker processes.

A frame comes out exactly as indexing sees it: the same video stream (cover art skipped), the
same display rotation, the same scaling (``PyAVDecoder.frame_at``, which seeks to the key
frame before the time and decodes forward from there). Each decode runs in a worker process
with a wall-clock limit, so a file that hangs or crashes the decoder costs one request and
never the process that asked.

At most ``workers`` decodes run at once, each on a long-lived thread that owns one worker
process: an isolated decoder is driven from one thread only, and its process lives as long
as the thread that started it (so a short-lived request thread would lose it).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from vidseek.indexer.decode import PyAVDecoder
from vidseek.indexer.frames import Decoder, FrameBatch
from vidseek.indexer.isolation import IsolatedDecoder

DEFAULT_TIMEOUT_S = 30.0  # one frame: a healthy file needs well under a second, a busy machine more
DEFAULT_MEMORY_LIMIT = 2 * 2**30  # address-space cap of a thumbnail worker


class FramePool:
    """Decodes single frames in up to ``workers`` isolated worker processes.

    ``decoder_factory`` (picklable, run in the worker) builds the decoder; its ``frame_at``
    answers. A decode past ``timeout`` seconds raises ``DecodeTimeout``; a worker that dies
    raises ``DecoderLost``; a file that cannot be decoded raises ``DecodeError``.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT,
        decoder_factory: Callable[[], Decoder] = PyAVDecoder,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._factory = decoder_factory
        self._timeout = timeout
        self._memory_limit = memory_limit_bytes
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="vidseek-frame")
        self._decoders: dict[int, IsolatedDecoder] = {}  # by the thread that drives it
        self._lock = threading.Lock()

    def submit(self, path: Path, at: float, short_side: int | None = None) -> Future[FrameBatch]:
        """The frame of ``path`` for time ``at`` (first at or after it), in the background."""
        if not (math.isfinite(at) and at >= 0):
            raise ValueError(f"time must be a finite number of seconds >= 0, got {at}")
        return self._threads.submit(self._decode, Path(path), float(at), short_side)

    def frame_at(self, path: Path, at: float, short_side: int | None = None) -> FrameBatch:
        """``submit`` and wait for the frame."""
        return self.submit(path, at, short_side).result()

    def close(self) -> None:
        """Stop the threads (decodes already running finish) and their worker processes."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            decoders, self._decoders = list(self._decoders.values()), {}
        for decoder in decoders:
            decoder.close()

    def __enter__(self) -> FramePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _decode(self, path: Path, at: float, short_side: int | None) -> FrameBatch:
        return self._decoder().frame_at(path, at, short_side)

    def _decoder(self) -> IsolatedDecoder:
        thread = threading.get_ident()
        with self._lock:
            decoder = self._decoders.get(thread)
            if decoder is None:
                decoder = self._decoders[thread] = IsolatedDecoder(
                    self._factory, timeout=self._timeout, memory_limit_bytes=self._memory_limit
                )
        return decoder
