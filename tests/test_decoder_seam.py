"""The write-path seams declare their whole contract: every decoder is a ``Decoder`` (probe,
frames, frame_at, close, reads_ahead), every encoder has a ``batch_size``, and a commit is
assembled from frame times and vectors by one function whichever executor encoded them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vidseek.api.state import SerializedEncoder
from vidseek.core.errors import DecodeError
from vidseek.core.models import load_encoder
from vidseek.core.types import Encoder, VideoInfo
from vidseek.indexer.decode import DecordDecoder, FallbackDecoder, PyAVDecoder, default_decoder
from vidseek.indexer.decode_cuda import CudaPyAVDecoder
from vidseek.indexer.decode_fast import FastPyAVDecoder
from vidseek.indexer.embed import (
    EncodedFrames,
    WorkItem,
    assemble_commit,
    embed_video,
    encode_frames,
)
from vidseek.indexer.executors import InlineExecutor
from vidseek.indexer.frames import Decoder, FrameBatch
from vidseek.indexer.isolation import IsolatedDecoder
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.parallel import ParallelExecutor

MODEL = "vidseek-demo:random"
OPTIONS = IndexOptions(fps=4.0, batch_size=4)


def ignore(frames: int) -> None:
    pass


def item(path: Path) -> WorkItem:
    return WorkItem(path, "hash", path.stat().st_size, path.stat().st_mtime)


@pytest.mark.parametrize(
    ("make", "reads_ahead"),
    [
        (PyAVDecoder, False),
        (FastPyAVDecoder, False),
        (DecordDecoder, False),
        (CudaPyAVDecoder, False),
        (default_decoder, False),
        (lambda: IsolatedDecoder(PyAVDecoder), True),
    ],
)
def test_every_decoder_declares_the_whole_contract(make, reads_ahead):
    decoder = make()
    assert isinstance(decoder, Decoder) and decoder.reads_ahead is reads_ahead
    decoder.close()  # nothing open yet: closing is harmless
    decoder.close()


def test_a_decoder_without_frames_cannot_be_made():
    class ProbeOnly(Decoder):
        def probe(self, path: Path) -> VideoInfo:
            return VideoInfo(1.0, 1.0, 2, 2)

    with pytest.raises(TypeError, match="frames"):
        ProbeOnly()


def test_frame_at_falls_back_to_a_decoder_that_can_seek(media):
    class NoSeek(Decoder):
        name = "noseek"

        def probe(self, path: Path) -> VideoInfo:
            raise AssertionError

        def frames(self, path, fps, short_side=None, batch_size=32) -> Iterator[FrameBatch]:
            raise AssertionError

    with pytest.raises(DecodeError, match="noseek decoder cannot fetch a single frame"):
        NoSeek().frame_at(media["mp4"], 1.0)
    frame = FallbackDecoder([NoSeek(), PyAVDecoder()]).frame_at(media["mp4"], 1.0, 32)
    assert frame.backend == "pyav" and frame.images.shape[0] == 1 and frame.times[0] >= 1.0


def test_isolated_decoder_fetches_a_frame_in_its_worker(media):
    with IsolatedDecoder(PyAVDecoder, timeout=30.0) as isolated:
        got = isolated.frame_at(media["mkv"], 2.0, 32)
    want = PyAVDecoder().frame_at(media["mkv"], 2.0, 32)
    assert got.times.tolist() == want.times.tolist()
    np.testing.assert_array_equal(got.images, want.images)


class Closing(Decoder):
    """Counts the decoders built and closed (thread-safe: parallel workers build their own)."""

    name = "closing"
    lock = threading.Lock()
    built = closed = 0

    def __init__(self) -> None:
        with Closing.lock:
            Closing.built += 1

    def probe(self, path: Path) -> VideoInfo:
        return VideoInfo(1.0, 4.0, 4, 4)

    def frames(self, path, fps, short_side=None, batch_size=32) -> Iterator[FrameBatch]:
        yield FrameBatch(np.array([0.0, 0.5]), np.zeros((2, 4, 4, 3), np.uint8), self.name)

    def close(self) -> None:
        with Closing.lock:
            Closing.closed += 1


def test_executors_close_the_decoders_they_build(tmp_path):
    encoder = load_encoder(MODEL)
    items = [WorkItem(tmp_path / f"{i}.mp4", f"h{i}", 1, 0.0) for i in range(4)]
    Closing.built = Closing.closed = 0
    results = list(
        ParallelExecutor(2, decoder_factory=Closing).map(items, encoder, OPTIONS, ignore)
    )
    assert len(results) == 4 and Closing.built == 2 and Closing.closed == 2
    given = Closing()
    list(InlineExecutor(given).map(items, encoder, OPTIONS, ignore))
    assert Closing.closed == 2  # a decoder it was given belongs to the caller


def test_a_commit_is_assembled_from_times_and_vectors(media):
    encoder = load_encoder(MODEL)
    path = media["vfr"]
    encoded = encode_frames(item(path), encoder, PyAVDecoder(), OPTIONS)
    assert len(encoded) == sum(len(t) for t in encoded.times) > 2
    assert encoded.info.backend == "pyav"
    commit = assemble_commit(item(path), encoded, OPTIONS)
    whole = embed_video(item(path), encoder, PyAVDecoder(), OPTIONS)
    np.testing.assert_array_equal(commit.frame_times, whole.frame_times)
    np.testing.assert_array_equal(commit.frame_vectors, whole.frame_vectors)
    assert [(s.start, s.end) for s in commit.segments] == [(s.start, s.end) for s in whole.segments]
    assert commit.info == whole.info
    with pytest.raises(DecodeError, match="no frames"):
        assemble_commit(item(path), EncodedFrames(encoded.info), OPTIONS)


def test_every_encoder_has_a_batch_size():
    encoder = load_encoder(MODEL, batch_size=7)
    served = SerializedEncoder(encoder)
    assert isinstance(encoder, Encoder) and isinstance(served, Encoder)
    assert encoder.batch_size == served.batch_size == 7
