"""The job queue is bounded, a FIFO never wedges it, and internals never reach job errors."""

from __future__ import annotations

import os
import threading
import time

import pytest

from vidseek.api.jobs import MAX_QUEUED, JobManager, QueueFull
from vidseek.core.errors import LibraryError
from vidseek.indexer.discover import content_hash, discover


def _manager(open_library, expand=lambda paths: (paths, [])) -> JobManager:
    return JobManager(
        open_library=open_library,
        expand=expand,
        encoder=lambda: None,
        options=lambda fps: None,
        on_progress=lambda: None,
    )


def _wait(job, timeout=10.0):
    deadline = time.monotonic() + timeout
    while job.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.01)
    return job


def test_a_full_queue_refuses_more_jobs(tmp_path):
    gate = threading.Event()

    def blocked_expand(paths):
        gate.wait(30)
        return [], []

    jobs = _manager(lambda: None, blocked_expand)
    try:
        first = jobs.submit([tmp_path], 1.0)
        while first.state != "running":
            time.sleep(0.01)
        for _ in range(MAX_QUEUED):
            jobs.submit([tmp_path], 1.0)
        with pytest.raises(QueueFull):
            jobs.submit([tmp_path], 1.0)
    finally:
        gate.set()
        jobs.shutdown()


def test_unexpected_failures_keep_their_details_in_the_log(tmp_path):
    def broken_library():
        raise RuntimeError("(sqlite3.OperationalError) SELECT secret FROM videos [parameters]")

    jobs = _manager(broken_library)
    try:
        job = _wait(jobs.submit([tmp_path / "x.mp4"], 1.0))
        assert job.state == "failed"
        assert "SELECT" not in job.error and "sqlite" not in job.error
        assert "server log" in job.error
    finally:
        jobs.shutdown()


def test_deliberate_errors_are_shown_as_they_are(tmp_path):
    def unusable():
        raise LibraryError("the library's catalog is newer than this vidseek")

    jobs = _manager(unusable)
    try:
        job = _wait(jobs.submit([tmp_path / "x.mp4"], 1.0))
        assert job.state == "failed" and "newer than this vidseek" in job.error
    finally:
        jobs.shutdown()


def test_a_fifo_is_refused_before_it_can_block(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def hash_it():
        try:
            content_hash(fifo)
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=hash_it, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "hashing a FIFO blocked"
    assert outcome and "not a regular file" in str(outcome[0])
    assert discover([tmp_path]) == []  # inside a folder it is not even a candidate
