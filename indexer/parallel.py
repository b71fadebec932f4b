"""Parallel decode: N isolated decoder workers feed the encoder in this thread.

Each worker thread owns one decoder (by default an ``IsolatedDecoder`` process, so a hang, a
crash or a memory blow-up costs one file) and streams frame batches (up to
``options.batch_size`` frames of one file) into a bounded queue. The calling thread encodes
each batch as it arrives and yields each file's commit as soon as its last batch is encoded.
Decoding and encoding overlap; memory stays bounded by the queue (a few batches of frames).

The encoder sees exactly the batches the inline executor gives it (same frames, same
near-duplicate skipping per file), and each commit is assembled by the same
``assemble_commit`` from the frame times and vectors, so results equal the inline executor's.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import Any

from vidseek.core.errors import DecodeError
from vidseek.core.types import Encoder
from vidseek.indexer.dedupe import FrameDeduper, per_video_encoder
from vidseek.indexer.embed import EncodedFrames, WorkItem, assemble_commit
from vidseek.indexer.executors import Result, isolated_default_decoder
from vidseek.indexer.frames import Decoder, put_unless_stopped
from vidseek.indexer.options import IndexOptions

_POLL_S = 0.1  # how often a blocked worker looks whether the job was abandoned


@dataclass
class _Partial:
    """One file in flight: the frames encoded so far, and its encoder."""

    item: WorkItem
    encoded: EncodedFrames
    encoder: Encoder | FrameDeduper  # per file: near-duplicate skipping keeps state


class ParallelExecutor:
    """``workers`` decoder threads + encoding in the caller's thread.

    ``decoder_factory`` builds one decoder per worker (default: an isolated decoder with the
    job's timeout and memory limit). ``queue_batches`` bounds the frame batches waiting to be
    encoded (default ``2 * workers``).
    """

    def __init__(
        self,
        workers: int,
        decoder_factory: Callable[[], Decoder] | None = None,
        queue_batches: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.decoder_factory = decoder_factory
        self.queue_batches = queue_batches or 2 * workers

    def map(
        self,
        items: Iterable[WorkItem],
        encoder: Encoder,
        options: IndexOptions,
        on_frames: Callable[[int], None],
    ) -> Iterator[tuple[WorkItem, Result]]:
        n_items = len(items) if isinstance(items, Sized) else self.workers
        if not n_items:
            return
        # Items are pulled lazily, one at a time, as workers get free (claiming may skip some).
        n_threads = min(self.workers, n_items)
        jobs = _Jobs(items, n_threads)
        out: queue.Queue[tuple[str, int, Any]] = queue.Queue(maxsize=self.queue_batches)
        stop = threading.Event()
        factory = self.decoder_factory or (lambda: isolated_default_decoder(options))
        short_side = encoder.identity.image_size
        threads = [
            threading.Thread(
                target=_decode_worker,
                args=(factory, jobs, out, stop, options, short_side),
                name=f"vidseek-decode-{n}",
                daemon=True,
            )
            for n in range(n_threads)
        ]
        jobs.feed(2 * n_threads)  # each worker has its next file at hand
        for t in threads:
            t.start()
        try:
            yield from _consume(jobs, out, len(threads), encoder, options, on_frames)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=5.0)


class _Jobs:
    """Hands items to the workers, pulled lazily from ``items`` in the consumer's thread only
    (pulling may touch the catalog, e.g. to claim a file): one more each time one finishes,
    so about two per worker are out at any time."""

    def __init__(self, items: Iterable[WorkItem], workers: int) -> None:
        self._it = iter(items)
        self._count = itertools.count()
        self._workers = workers
        self.queue: queue.SimpleQueue[tuple[int, WorkItem] | None] = queue.SimpleQueue()
        self.taken = 0
        self.exhausted = False

    def feed(self, n: int = 1) -> None:
        for _ in range(n):
            if self.exhausted:
                return
            item = next(self._it, None)
            if item is None:
                self.exhausted = True
                for _ in range(self._workers):
                    self.queue.put(None)
                return
            self.taken += 1
            self.queue.put((next(self._count), item))

    def get(self, stop: threading.Event) -> tuple[int, WorkItem] | None:
        while not stop.is_set():
            try:
                return self.queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
        return None


def _decode_worker(
    factory: Callable[[], Decoder],
    jobs: _Jobs,
    out: queue.Queue[tuple[str, int, Any]],
    stop: threading.Event,
    options: IndexOptions,
    short_side: int,
) -> None:
    """Decode files from ``jobs`` until none are left; every file ends in "done" or "error"."""

    def put(message: tuple[str, int, Any]) -> bool:
        return put_unless_stopped(out, message, stop)

    decoder: Decoder | None = None
    try:
        decoder = factory()
        while not stop.is_set():
            job = jobs.get(stop)
            if job is None:
                break
            idx, item = job
            try:
                if not put(("info", idx, (item, decoder.probe(item.path)))):
                    return
                stream = decoder.frames(item.path, options.fps, short_side, options.batch_size)
                for batch in stream:
                    if not put(("batch", idx, batch)):
                        return
                put(("done", idx, item))
            except DecodeError as exc:
                put(("error", idx, (item, exc)))
            except Exception as exc:  # noqa: BLE001 - a decoder bug costs one file
                put(("error", idx, (item, DecodeError(f"{type(exc).__name__}: {exc}"))))
    except BaseException as exc:  # noqa: BLE001 - e.g. the decoder could not be built
        put(("fatal", -1, exc))
    finally:
        if decoder is not None:
            decoder.close()
        put(("exit", -1, None))


def _consume(
    jobs: _Jobs,
    out: queue.Queue[tuple[str, int, Any]],
    alive: int,
    encoder: Encoder,
    options: IndexOptions,
    on_frames: Callable[[int], None],
) -> Iterator[tuple[WorkItem, Result]]:
    partial: dict[int, _Partial] = {}
    threshold = options.skip_similar_frames
    failure: BaseException | None = None
    finished = 0
    while alive:
        kind, idx, payload = out.get()
        if kind == "exit":
            alive -= 1
        elif kind == "fatal":
            failure = failure or payload
        elif kind == "info":
            item, info = payload
            partial[idx] = _Partial(
                item, EncodedFrames(info), per_video_encoder(encoder, threshold)
            )
        elif kind == "batch":
            p = partial[idx]
            vectors = p.encoder.encode_images(list(payload.images))
            p.encoded.add(payload.times, vectors, payload.backend)
            on_frames(len(payload.times))
        elif kind == "error":
            partial.pop(idx, None)
            finished += 1
            yield payload
            jobs.feed()
        elif kind == "done":
            finished += 1
            yield payload, _assemble(partial.pop(idx), options)
            jobs.feed()
    if finished < jobs.taken or not jobs.exhausted:  # every worker died before the end
        raise RuntimeError(f"decoder workers stopped early: {failure!r}") from failure


def _assemble(p: _Partial, options: IndexOptions) -> Result:
    """The file's commit, assembled exactly as the inline executor assembles it."""
    try:
        return assemble_commit(p.item, p.encoded, options)
    except DecodeError as exc:
        return exc
