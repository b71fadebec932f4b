"""Decoding runs ahead of encoding: same frames and vectors as decoding in turn, bounded
memory, errors where they happened, and isolated decoders left to their own overlap."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MEDIA_SPECS
from tests.test_bad_inputs import Hangs, Segfaults
from vidseek.core.errors import DecodeError, DecodeTimeout
from vidseek.core.types import ModelIdentity, VideoInfo
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.embed import WorkItem, embed_video
from vidseek.indexer.frames import Decoder, FrameBatch, read_ahead
from vidseek.indexer.isolation import IsolatedDecoder
from vidseek.indexer.options import IndexOptions

OPTIONS = IndexOptions(fps=8.0, batch_size=4)


class RecordingEncoder:
    """Vectors computed from the pixels; remembers the batches it was given."""

    identity = ModelIdentity("test", "recording", 8, 32, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    batch_size = 64

    def __init__(self) -> None:
        self.batches: list[int] = []

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        self.batches.append(len(images))
        time.sleep(0.002)  # let the decoder get ahead
        out = np.stack([np.resize(np.asarray(i, np.float32).mean(axis=(0, 1)), 8) for i in images])
        return (out + 1.0) / np.linalg.norm(out + 1.0, axis=1, keepdims=True)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError


def item(path: Path) -> WorkItem:
    return WorkItem(path, "hash", path.stat().st_size, path.stat().st_mtime)


@pytest.mark.parametrize("name", MEDIA_SPECS)
def test_overlapped_equals_sequential(media: dict[str, Path], name: str):
    runs = []
    for depth in (0, 2):
        encoder = RecordingEncoder()
        options = replace(OPTIONS, read_ahead=depth)
        runs.append((embed_video(item(media[name]), encoder, default_decoder(), options), encoder))
    (seq, seq_encoder), (ahead, ahead_encoder) = runs
    assert len(seq.frame_times) == 24 and len(seq_encoder.batches) > 2
    assert ahead_encoder.batches == seq_encoder.batches
    np.testing.assert_array_equal(ahead.frame_times, seq.frame_times)
    np.testing.assert_array_equal(ahead.frame_vectors, seq.frame_vectors)
    assert ahead.info == seq.info
    assert [(s.start, s.end) for s in ahead.segments] == [(s.start, s.end) for s in seq.segments]


def batches(n: int, produced: list[int], fail_at: int | None = None) -> Iterator[FrameBatch]:
    try:
        for i in range(n):
            if i == fail_at:
                raise DecodeError(f"broken at {i}")
            produced.append(i)
            yield FrameBatch(np.array([float(i)]), np.zeros((1, 2, 2, 3), np.uint8))
    finally:
        produced.append(-1)  # closed


def test_read_ahead_is_bounded():
    produced: list[int] = []
    ahead = []
    for batch in read_ahead(batches(12, produced), 2):
        time.sleep(0.02)  # the producer runs as far ahead as it may
        ahead.append(len([p for p in produced if p >= 0]) - int(batch.times[0]) - 1)
    assert produced[-1] == -1 and len(produced) == 13
    # queue of 2 + the batch being produced (blocked in put) + none more
    assert max(ahead) <= 3 and max(ahead) >= 2


def test_read_ahead_depth_zero_is_the_iterator_itself():
    stream = batches(1, [])
    assert read_ahead(stream, 0) is stream


def test_error_arrives_after_the_batches_before_it():
    produced: list[int] = []
    got = []
    with pytest.raises(DecodeError, match="broken at 3"):
        for batch in read_ahead(batches(10, produced, fail_at=3), 2):
            got.append(int(batch.times[0]))
    assert got == [0, 1, 2] and produced[-1] == -1


def test_reader_stopping_early_stops_and_closes_the_producer():
    produced: list[int] = []
    before = threading.active_count()
    stream = read_ahead(batches(100, produced), 2)
    next(stream)
    stream.close()
    assert produced[-1] == -1 and len(produced) <= 5
    assert threading.active_count() == before


class ThreadRecorder(Decoder):
    """A decoder that notes which thread iterates it."""

    name = "recorder"

    def __init__(self, reads_ahead: bool = False) -> None:
        self.reads_ahead = reads_ahead
        self.threads: list[int] = []

    def probe(self, path: Path) -> VideoInfo:
        return VideoInfo(2.0, 1.0, 2, 2)

    def frames(self, path, fps, short_side=None, batch_size=32) -> Iterator[FrameBatch]:
        for i in range(2):
            self.threads.append(threading.get_ident())
            yield FrameBatch(np.array([float(i)]), np.full((1, 2, 2, 3), i, np.uint8))


@pytest.mark.parametrize(("reads_ahead", "depth", "here"), [
    (False, 2, False), (False, 0, True), (True, 2, True),
])  # fmt: skip
def test_who_drives_the_decoder(reads_ahead: bool, depth: int, here: bool):
    decoder = ThreadRecorder(reads_ahead)
    options = replace(OPTIONS, read_ahead=depth, fps=1.0)
    embed_video(item(Path(__file__)), RecordingEncoder(), decoder, options)
    assert (set(decoder.threads) == {threading.get_ident()}) == here


def test_isolated_decoder_failures_still_reach_the_mapper(media: dict[str, Path]):
    path = item(media["mp4"])
    with IsolatedDecoder(Hangs, timeout=1.0) as decoder:
        with pytest.raises(DecodeTimeout):
            embed_video(path, RecordingEncoder(), decoder, replace(OPTIONS, fps=1.0))
    with IsolatedDecoder(Segfaults, timeout=30.0) as decoder:
        with pytest.raises(DecodeError, match="SIGSEGV"):
            embed_video(path, RecordingEncoder(), decoder, replace(OPTIONS, fps=1.0))
        # the next file gets a fresh worker
        assert decoder.probe(Path("x.mp4")).width == 2
