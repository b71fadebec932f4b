"""The job queue is bounded, a FIFO never wedges it, and internals never reach job errors."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.conftest import raised_within
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


@pytest.mark.parametrize(
    "error,shown,hidden",
    [
        (
            RuntimeError("(sqlite3.OperationalError) SELECT secret FROM videos"),
            "server log",
            "SELECT",
        ),
        (LibraryError("the catalog is newer than this vidseek"), "newer than this vidseek", None),
    ],
)
def test_job_errors_show_deliberate_messages_and_hide_internals(tmp_path, error, shown, hidden):
    def failing_library():
        raise error

    jobs = _manager(failing_library)
    try:
        job = _wait(jobs.submit([tmp_path / "x.mp4"], 1.0))
        assert job.state == "failed" and shown in job.error
        assert hidden is None or hidden not in job.error
    finally:
        jobs.shutdown()


def test_a_fifo_is_refused_before_it_can_block(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    error = raised_within(5, lambda: content_hash(fifo))
    assert isinstance(error, OSError) and "not a regular file" in str(error)
    assert discover([tmp_path]) == []  # inside a folder it is not even a candidate


def test_eta_is_the_time_per_file_so_far_times_the_files_left():
    import time as clock

    from vidseek.api.jobs import JobRecord

    job = JobRecord(id="j", paths=["/m"])
    assert job.eta() is None  # queued
    job.state, job.started_at, job._t0 = "running", clock.time(), clock.monotonic() - 10.0
    job.files_total = 5
    assert job.eta() is None  # nothing done yet: no rate to go by
    job.files_done = 2
    assert job.eta() == pytest.approx(10.0 / 2 * 3, rel=0.05)
    job.state = "succeeded"
    assert job.eta() == 0.0
