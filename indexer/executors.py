"""Executors run the mapper (``embed_video``) over work items; the job commits the results.

``InlineExecutor`` decodes one file at a time in an isolated worker process while this
process encodes. Other executors (parallel decode workers, Ray) implement the same protocol.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from vidseek.core.errors import DecodeError
from vidseek.core.types import Encoder, VideoCommit
from vidseek.indexer.embed import WorkItem, embed_video
from vidseek.indexer.frames import Decoder
from vidseek.indexer.options import IndexOptions

Result = VideoCommit | DecodeError


class Executor(Protocol):
    def map(
        self,
        items: Iterable[WorkItem],
        encoder: Encoder,
        options: IndexOptions,
        on_frames: Callable[[int], None],
    ) -> Iterator[tuple[WorkItem, Result]]:
        """Yield each item with its commit or its decode error, in any order."""
        ...


def isolated_default_decoder(options: IndexOptions) -> Decoder:
    from vidseek.indexer.decode import default_decoder
    from vidseek.indexer.isolation import IsolatedDecoder

    limit = options.memory_limit_mb * 2**20 if options.memory_limit_mb else None
    if options.gpu_decode:
        limit = None  # a CUDA context reserves far more address space than any cap allows
    factory = functools.partial(default_decoder, fast=options.fast_decode, gpu=options.gpu_decode)
    return IsolatedDecoder(factory, timeout=options.decode_timeout, memory_limit_bytes=limit)


class InlineExecutor:
    """One file at a time; decoding isolated in a worker process unless a decoder is given."""

    def __init__(self, decoder: Decoder | None = None) -> None:
        self.decoder = decoder

    def map(
        self,
        items: Iterable[WorkItem],
        encoder: Encoder,
        options: IndexOptions,
        on_frames: Callable[[int], None],
    ) -> Iterator[tuple[WorkItem, Result]]:
        decoder = self.decoder or isolated_default_decoder(options)
        try:
            for item in items:
                try:
                    yield item, embed_video(item, encoder, decoder, options, on_frames)
                except DecodeError as exc:
                    yield item, exc
        finally:
            if self.decoder is None:
                decoder.close()
