"""Bad inputs are refused with a readable reason; hangs, crashes and memory hogs are contained."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vidseek.core.errors import DecodeError, DecodeTimeout
from vidseek.core.types import VideoInfo
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.frames import Decoder, FrameBatch
from vidseek.indexer.isolation import IsolatedDecoder

REASONS = {
    "empty": "empty file",
    "truncated_mp4": "truncated or damaged MP4/MOV: its index ('moov' atom) is missing",
    "truncated_mkv": "truncated: video stops at 0.68 s of 3.00 s",
    "random": "unreadable: invalid data",
    "text": "unreadable: invalid data",
    "png": "not a video (single still image)",
    "jpeg": "not a video (single still image)",
    "audio": "not a video (no video stream)",
}


@pytest.fixture(scope="module")
def isolated() -> Iterator[IsolatedDecoder]:
    with IsolatedDecoder(default_decoder, timeout=30.0) as decoder:
        yield decoder


@pytest.mark.parametrize("name", REASONS)
def test_fallback_decoder_refuses_with_reason(bad_media: dict[str, Path], name: str):
    with pytest.raises(DecodeError) as err:
        list(default_decoder().frames(bad_media[name], 1.0))
    assert str(err.value).startswith(REASONS[name])


@pytest.mark.parametrize("name", REASONS)
def test_isolated_decoder_refuses_with_reason(
    bad_media: dict[str, Path], isolated: IsolatedDecoder, name: str
):
    with pytest.raises(DecodeError) as err:
        list(isolated.frames(bad_media[name], 1.0))
    assert str(err.value).startswith(REASONS[name])
    assert type(err.value) is DecodeError


def test_probe_refuses_non_videos(bad_media: dict[str, Path], isolated: IsolatedDecoder):
    with pytest.raises(DecodeError, match=r"^not a video \(no video stream\)$"):
        isolated.probe(bad_media["audio"])
    with pytest.raises(DecodeError, match=r"^empty file$"):
        default_decoder().probe(bad_media["empty"])


def test_isolated_decoder_streams_good_files(media: dict[str, Path], isolated: IsolatedDecoder):
    batches = list(isolated.frames(media["vfr"], 2.0, 32, batch_size=2))
    assert len(batches) == 3 and all(len(b.times) == 2 for b in batches)
    assert batches[0].images.shape == (2, 32, 43, 3) and batches[0].backend == "decord"
    assert isolated.probe(media["mkv"]).codec == "h264"
    # Stopping early kills the worker; the next file gets a fresh one.
    stream = isolated.frames(media["mp4"], 10.0, 32, batch_size=1)
    next(stream)
    stream.close()
    assert len(list(isolated.frames(media["mp4"], 1.0, 32))) == 1


# --- decoder doubles, run in the worker process -----------------------------------------


class _Double(Decoder):
    name = "double"

    def probe(self, path: Path) -> VideoInfo:
        return VideoInfo(1.0, 1.0, 2, 2)

    def frames(self, path, fps, short_side=None, batch_size=32) -> Iterator[FrameBatch]:
        yield FrameBatch(np.zeros(1), np.zeros((1, 2, 2, 3), np.uint8), self.name)
        self.misbehave()

    def misbehave(self) -> None:
        pass


class Hangs(_Double):
    def misbehave(self) -> None:
        time.sleep(3600)


class Segfaults(_Double):
    def misbehave(self) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)


class Hogs(_Double):
    def misbehave(self) -> None:
        self.hoard = bytearray(16 * 2**30)


class Raises(_Double):
    def misbehave(self) -> None:
        raise ValueError("bad luck")


def _run(decoder: IsolatedDecoder) -> tuple[int, BaseException]:
    received = 0
    try:
        for _ in decoder.frames(Path("whatever.mp4"), 1.0):
            received += 1
    except DecodeError as e:
        return received, e
    raise AssertionError("no error raised")


def test_hang_is_killed_after_timeout():
    with IsolatedDecoder(Hangs, timeout=2.0) as decoder:
        started = time.monotonic()
        received, err = _run(decoder)
        assert time.monotonic() - started < 10
        assert received == 1 and isinstance(err, DecodeTimeout)
        assert "longer than 2 s" in str(err)
        assert decoder._proc is None  # killed
        # The next file gets a fresh worker.
        assert decoder.probe(Path("x.mp4")).width == 2


def test_segfault_is_reported():
    with IsolatedDecoder(Segfaults, timeout=30.0) as decoder:
        received, err = _run(decoder)
        assert received == 1 and str(err) == "decoder crashed (signal SIGSEGV)"
        assert decoder.probe(Path("x.mp4")).height == 2


def test_memory_limit_is_enforced():
    with IsolatedDecoder(Hogs, timeout=30.0, memory_limit_bytes=3 * 2**30) as decoder:
        received, err = _run(decoder)
        assert received == 1 and str(err) == "decoder ran out of memory (limit 3072 MB)"


def test_other_exceptions_come_back_as_decode_errors():
    with IsolatedDecoder(Raises, timeout=30.0) as decoder:
        assert str(_run(decoder)[1]) == "ValueError: bad luck"
        assert str(_run(decoder)[1]) == "ValueError: bad luck"  # same worker serves on


def test_factory_must_be_picklable():
    with pytest.raises(TypeError, match="picklable"):
        IsolatedDecoder(lambda: Raises(), timeout=1.0)
