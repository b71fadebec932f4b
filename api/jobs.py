"""Background index jobs: one worker thread runs queued jobs one at a time.

A job gets its OWN ``Library`` instance (same home) so it never shares the serving instance's
state; the serving side picks new vectors up with ``refresh()`` before each search.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from vidseek.api.job_decoder import JobCancelled, JobDecoder
from vidseek.api.schemas import FileResult, Job
from vidseek.core.catalog.job_log import JobLog
from vidseek.core.errors import VidseekError
from vidseek.core.library import Library
from vidseek.core.types import Encoder
from vidseek.indexer.executors import isolated_default_decoder
from vidseek.indexer.frames import Decoder
from vidseek.indexer.pipeline import FileOutcome, IndexOptions, index_paths

log = logging.getLogger("vidseek.server")
T = TypeVar("T")
KEEP_FINISHED = 100
MAX_QUEUED = 16
MAX_FAILURES_SHOWN = 100


class QueueFull(Exception):
    """Too many jobs are waiting already."""


@dataclass
class JobRecord:
    """Live progress of one job; also the ``ProgressListener`` handed to ``index_paths``."""

    id: str
    paths: list[str]
    state: str = "queued"
    files_total: int | None = None
    files_done: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0  # already indexed (same content, or moved)
    files_failed: int = 0
    frames: int = 0
    current_file: str | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    failures: list[FileResult] = field(default_factory=list)
    cancel_requested: bool = False
    interrupt: Callable[[], None] | None = None  # aborts the decode in flight
    on_file_done: Callable[[], None] | None = None
    _t0: float = 0.0
    _t_end: float | None = None

    def refuse(self, path: Path) -> None:
        """A file found under the paths whose real location is outside the media roots."""
        self.files_failed += 1
        if len(self.failures) < MAX_FAILURES_SHOWN:
            reason = "refused: it resolves outside the media roots"
            self.failures.append(
                FileResult(path=str(path), status="refused", reason=reason, video_id=None, frames=0)
            )

    # ProgressListener
    def started(self, total_files: int) -> None:
        self.files_total = total_files

    def file_started(self, path: Path) -> None:
        if self.cancel_requested:
            raise JobCancelled()
        self.current_file = str(path)

    def frames_encoded(self, count: int) -> None:
        self.frames += count

    def file_finished(self, outcome: FileOutcome) -> None:
        self.files_done += 1
        self.current_file = None
        if outcome.status == "indexed":
            self.files_indexed += 1
        elif outcome.status == "failed":
            self.files_failed += 1
            if len(self.failures) < MAX_FAILURES_SHOWN:
                self.failures.append(
                    FileResult(
                        path=str(outcome.path),
                        status=outcome.status,
                        reason=outcome.reason,
                        video_id=outcome.video_id,
                        frames=outcome.frames,
                    )
                )
        else:  # "unchanged", "moved": already in the library
            self.files_unchanged += 1
        if self.on_file_done is not None:
            self.on_file_done()
        if self.cancel_requested:  # between files: what is committed stays committed
            raise JobCancelled()

    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        end = self._t_end if self._t_end is not None else time.monotonic()
        return max(end - self._t0, 0.0)

    def eta(self) -> float | None:
        if self.state == "queued" or self.files_total is None:
            return None
        if self.state != "running":
            return 0.0
        left = self.files_total - self.files_done
        if left <= 0:
            return 0.0
        if self.files_done == 0:
            return None
        return self.elapsed() / self.files_done * left

    def to_model(self) -> Job:
        return Job(
            id=self.id,
            state=self.state,  # type: ignore[arg-type]
            paths=self.paths,
            files_total=self.files_total,
            files_done=self.files_done,
            files_indexed=self.files_indexed,
            files_unchanged=self.files_unchanged,
            files_failed=self.files_failed,
            frames=self.frames,
            current_file=self.current_file,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            elapsed_s=round(self.elapsed(), 3),
            eta_s=None if (eta := self.eta()) is None else round(eta, 1),
            error=self.error,
            failures=list(self.failures),
        )


class JobManager:
    """Queues index jobs and runs them one after another on a worker thread."""

    def __init__(
        self,
        open_library: Callable[[], Library],
        expand: Callable[[list[Path]], tuple[list[Path], list[Path]]],
        encoder: Callable[[], Encoder],
        options: Callable[[float], IndexOptions],
        on_progress: Callable[[], None],
        decoder: Callable[[], Decoder | None] = lambda: None,
        log: JobLog | None = None,
        roots: Sequence[Path] = (),
    ) -> None:
        self._log = log
        self._roots = tuple(roots)
        if log is not None:
            self._quietly(log.interrupt_orphans)
        self._decoder = decoder
        self._open_library = open_library
        self._expand = expand
        self._encoder = encoder
        self._options = options
        self._on_progress = on_progress
        self._jobs: OrderedDict[str, JobRecord] = OrderedDict()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidseek-index")

    def submit(
        self, paths: list[Path], fps: float, evidence: tuple[str, ...] | None = None
    ) -> JobRecord:
        """Queue a job; ``QueueFull`` when ``MAX_QUEUED`` jobs are already waiting.
        ``evidence``: the kinds of text evidence to extract (None: the library's own)."""
        if self.counts()["queued"] >= MAX_QUEUED:
            raise QueueFull(f"{MAX_QUEUED} index jobs are already waiting; try again later")
        job_id = f"job-{next(self._ids)}-{secrets.token_hex(4)}"
        job = JobRecord(id=job_id, paths=[str(p) for p in paths])

        def file_done() -> None:
            self._on_progress()
            self._persist(job)

        job.on_file_done = file_done
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._persist(job)
        self._pool.submit(self._run, job, paths, fps, evidence)
        return job

    def report(self, job_id: str) -> Job | None:
        """A job's report: live, else as the catalog kept it (e.g. from before a restart)."""
        job = self.get(job_id)
        if job is not None:
            return job.to_model()
        document = self._quietly(lambda: self._log.get(job_id)) if self._log else None
        return Job.model_validate(document) if document else None

    def reports(self) -> list[Job]:
        """Recent jobs, oldest first: those the catalog kept, then this server's live ones."""
        live = self.all()
        ids = {j.id for j in live}
        kept = self._quietly(self._log.recent) if self._log else None
        earlier = [Job.model_validate(d) for d in kept or () if d["id"] not in ids]
        return earlier + [j.to_model() for j in live]

    def _persist(self, job: JobRecord) -> None:
        if self._log is not None:
            model = job.to_model()
            self._quietly(
                lambda: self._log.save(job.id, model.state, model.created_at, model.model_dump())
            )

    @staticmethod
    def _quietly(action: Callable[[], T]) -> T | None:
        """The job history is a convenience: a catalog error there never fails a job."""
        try:
            return action()
        except SQLAlchemyError as exc:
            log.warning("job history not updated: %s", exc)
            return None

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[JobRecord]:
        with self._lock:
            return list(self._jobs.values())

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("queued", "running", "succeeded", "failed", "cancelled"), 0)
        for job in self.all():
            counts[job.state] = counts.get(job.state, 0) + 1
        return counts

    def cancel(self, job_id: str) -> JobRecord | None:
        """Stop a job: a queued one never starts, a running one stops mid-file (its decoder
        worker is killed); what it committed stays."""
        job = self.get(job_id)
        if job is not None and job.state in ("queued", "running"):
            job.cancel_requested = True
            if job.interrupt is not None:
                job.interrupt()
        return job

    def shutdown(self, wait_s: float = 10.0) -> None:
        for job in self.all():
            job.cancel_requested = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + wait_s
        while any(j.state == "running" for j in self.all()) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _run(
        self,
        job: JobRecord,
        paths: list[Path],
        fps: float,
        evidence: tuple[str, ...] | None = None,
    ) -> None:
        if job.cancel_requested:
            job.state = "cancelled"
            self._persist(job)
            return
        job.state, job.started_at, job._t0 = "running", time.time(), time.monotonic()
        self._persist(job)
        try:
            files, refused = self._expand(paths)
            for path in refused:
                job.refuse(path)
            library = self._open_library()
            options = self._options(fps)
            if evidence is not None:
                options = replace(options, evidence=replace(options.evidence, kinds=evidence))
            decoder = JobDecoder(
                self._decoder() or isolated_default_decoder(options), job, self._roots
            )
            try:
                if files:
                    index_paths(
                        library,
                        self._encoder(),
                        files,
                        options=options,
                        decoder=decoder,
                        progress=job,
                    )
                else:
                    job.files_total = 0
            finally:
                decoder.close()
                library.close()
            job.state = "succeeded"
        except JobCancelled:
            job.state = "cancelled"
        except VidseekError as exc:  # deliberate, worded for users
            log.warning("index job %s failed: %s", job.id, exc)
            job.state, job.error = "failed", str(exc)
        except Exception:  # a job must end with a state; internals (SQL, paths) stay in the log
            log.exception("index job %s failed", job.id)
            job.state, job.error = "failed", "the job failed unexpectedly; see the server log"
        finally:
            job.current_file = None
            job.finished_at, job._t_end = time.time(), time.monotonic()
            self._persist(job)
            self._on_progress()

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.state not in ("queued", "running")]
        for job_id in finished[: max(len(finished) - KEEP_FINISHED, 0)]:
            del self._jobs[job_id]
