"""Parallel decode (`--workers N`): same results as inline, bad files contained per file,
memory bounded by the queue, workers stopped when the job is abandoned."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vidseek.core.errors import DecodeError
from vidseek.core.library import Library
from vidseek.core.types import ModelIdentity, VideoInfo
from vidseek.demo.render import generate_library
from vidseek.indexer.decode import default_decoder
from vidseek.indexer.embed import WorkItem
from vidseek.indexer.executors import InlineExecutor
from vidseek.indexer.frames import Decoder, FrameBatch
from vidseek.indexer.isolation import IsolatedDecoder
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.parallel import ParallelExecutor
from vidseek.indexer.pipeline import index_paths

MODEL = "vidseek-demo:random"
OPTIONS = IndexOptions(fps=4.0, batch_size=8)
EVERY_FRAME = IndexOptions(batch_size=4, skip_similar_frames=None)


@pytest.fixture(scope="module")
def encoder():
    from vidseek.core.models import load_encoder  # not at import: decoder workers import this file

    return load_encoder(MODEL)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Six tiny videos of 1–2 s and two files that are not videos."""
    folder = tmp_path_factory.mktemp("parallel")
    generate_library(folder, 6, seed=21, duration=(1.0, 2.0), size=(96, 64), fps=6)
    (folder / "broken.mp4").write_bytes(b"\x00" * 300)
    (folder / "text.mkv").write_text("not a video\n" * 20)
    return folder


def indexed(home: Path, encoder, folder: Path, executor) -> dict[str, tuple]:
    with Library.open(home) as lib:
        report = index_paths(lib, encoder, [folder], options=OPTIONS, executor=executor)
        out = {}
        for o in report.outcomes:
            segs, vecs = [], None
            if o.video_id is not None:
                segs = [(s.start, s.end) for s in lib.segments(o.video_id)]
                vecs = lib.frames(o.video_id)[1]
            out[o.path.name] = (o.status, o.reason, o.frames, segs, vecs)
        return out


def test_parallel_results_equal_inline(encoder, folder, tmp_path):
    inline = indexed(tmp_path / "a", encoder, folder, InlineExecutor())
    parallel = indexed(tmp_path / "b", encoder, folder, ParallelExecutor(3))
    assert inline.keys() == parallel.keys()
    assert sum(v[0] == "indexed" for v in inline.values()) == 6
    for name, (status, reason, frames, segs, vecs) in inline.items():
        p_status, p_reason, p_frames, p_segs, p_vecs = parallel[name]
        assert (p_status, p_reason, p_frames, p_segs) == (status, reason, frames, segs), name
        if vecs is not None:
            np.testing.assert_array_equal(p_vecs, vecs)  # same encoder batches: same bits


# --- decoder doubles (run in isolated worker processes, so importable by name) -------------


class Misbehaves(Decoder):
    """Decodes normally unless the file name says hang, crash or hog."""

    name = "misbehaves"

    def __init__(self) -> None:
        self.inner = default_decoder()

    def probe(self, path: Path) -> VideoInfo:
        if path.name.startswith(("hang", "crash", "hog")):
            return VideoInfo(1.0, 6.0, 96, 64)
        return self.inner.probe(path)

    def frames(self, path, fps, short_side=None, batch_size=32) -> Iterator[FrameBatch]:
        if path.name.startswith("hang"):
            time.sleep(3600)
        if path.name.startswith("crash"):
            os.kill(os.getpid(), signal.SIGSEGV)
        if path.name.startswith("hog"):
            self.hoard = bytearray(16 * 2**30)
        yield from self.inner.frames(path, fps, short_side, batch_size)


def misbehaving_decoder() -> IsolatedDecoder:
    return IsolatedDecoder(Misbehaves, timeout=2.0, memory_limit_bytes=4 * 2**30)


def test_hang_crash_and_hog_cost_one_file_each(encoder, folder, tmp_path):
    for name in ("hang.mp4", "crash.mp4", "hog.mp4"):
        (tmp_path / name).write_bytes(name.encode() * 10)
    paths = sorted(folder.glob("video_*.mp4"))[:3]
    with Library.open(tmp_path / "lib") as lib:
        executor = ParallelExecutor(2, decoder_factory=misbehaving_decoder)
        report = index_paths(lib, encoder, [*paths, tmp_path], options=OPTIONS, executor=executor)
    got = {o.path.name: (o.status, o.reason) for o in report.outcomes}
    assert got["hang.mp4"] == ("failed", "decoding took longer than 2 s; the worker was killed")
    assert got["crash.mp4"] == ("failed", "decoder crashed (signal SIGSEGV)")
    assert got["hog.mp4"] == ("failed", "decoder ran out of memory (limit 4096 MB)")
    assert [got[p.name][0] for p in paths] == ["indexed"] * 3, got


# --- in-thread doubles: bounded memory and clean shutdown ----------------------------------


class Fast(Decoder):
    """Instantly yields ``n`` one-frame batches per file, counting what it produced."""

    name = "fast"
    produced = 0
    lock = threading.Lock()

    def probe(self, path: Path) -> VideoInfo:
        return VideoInfo(10.0, 5.0, 4, 4)

    def frames(self, path, fps, short_side=None, batch_size=32) -> Iterator[FrameBatch]:
        for i in range(25):
            with Fast.lock:
                Fast.produced += 1
            yield FrameBatch(np.array([i * 0.4]), np.zeros((1, 4, 4, 3), np.uint8), "fast")


class SlowEncoder:
    identity = ModelIdentity("slow", "none", 4, 4, (0.5,) * 3, (0.5,) * 3)
    batch_size = 64

    def __init__(self) -> None:
        self.encoded = 0
        self.most_in_flight = 0

    def encode_images(self, images) -> np.ndarray:
        self.most_in_flight = max(self.most_in_flight, Fast.produced - self.encoded)
        time.sleep(0.002)
        self.encoded += len(images)
        return np.tile(np.array([[1.0, 0, 0, 0]], np.float32), (len(images), 1))

    def encode_texts(self, texts) -> np.ndarray:
        raise NotImplementedError


def items(n: int) -> list[WorkItem]:
    return [WorkItem(Path(f"/fake/{i}.mp4"), f"h{i}", 1, 0.0) for i in range(n)]


def test_queue_bounds_the_frames_in_flight():
    Fast.produced = 0
    encoder = SlowEncoder()
    executor = ParallelExecutor(2, decoder_factory=Fast, queue_batches=3)
    results = list(executor.map(items(8), encoder, EVERY_FRAME, lambda n: None))
    assert len(results) == 8 and all(not isinstance(r, DecodeError) for _, r in results)
    assert encoder.encoded == Fast.produced == 200
    # queue (3) + one batch in each worker's hand (2) + encoder batch (4) + slack
    assert encoder.most_in_flight <= 12


def test_abandoned_job_stops_its_workers():
    before = threading.active_count()
    stream = ParallelExecutor(3, decoder_factory=Fast).map(
        items(50), SlowEncoder(), EVERY_FRAME, lambda n: None
    )
    next(stream)
    stream.close()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before
