"""Cancel stops a running job even mid-decode: the decoder worker is killed, the job ends
cancelled, and the file it was on is not recorded as a bad file."""

from __future__ import annotations

import time
from pathlib import Path

from tests.api_server import RANDOM_MODEL, built_library
from vidseek.api.jobs import JobManager
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.core.types import VideoInfo
from vidseek.indexer.frames import Decoder
from vidseek.indexer.isolation import IsolatedDecoder
from vidseek.indexer.options import IndexOptions


class HangingDecoder(Decoder):
    """Stands for a file that makes FFmpeg hang (runs inside the isolated worker)."""

    name = "hangs"

    def probe(self, path: Path) -> VideoInfo:
        time.sleep(600)
        raise AssertionError("unreachable")

    def frames(self, path, fps, short_side=None, batch_size=32):
        time.sleep(600)
        yield from ()


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_cancel_kills_a_hung_decode_and_records_no_failure(tmp_path):
    video = built_library().videos[0]
    home = tmp_path / "library"
    encoder = load_encoder(RANDOM_MODEL)
    jobs = JobManager(
        open_library=lambda: Library.open(home),
        expand=lambda paths: (paths, []),
        encoder=lambda: encoder,
        options=lambda fps: IndexOptions(fps=fps),
        on_progress=lambda: None,
        decoder=lambda: IsolatedDecoder(HangingDecoder, timeout=600),
    )
    try:
        job = jobs.submit([video], 1.0)
        assert _wait_for(lambda: job.current_file is not None and job.interrupt, 60), job.state
        time.sleep(0.5)  # well inside the hung decode
        began = time.monotonic()
        jobs.cancel(job.id)
        assert _wait_for(lambda: job.state == "cancelled", 20), job.state
        assert time.monotonic() - began < 20
        assert job.files_failed == 0 and job.error is None
    finally:
        jobs.shutdown()
    with Library.open(home) as library:
        assert library.videos() == []  # nothing recorded, not even as failed
