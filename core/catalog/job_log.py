"""Index jobs kept in the catalog, so that a server restart forgets none of them.

Each job is one row: its state and its last progress report (a JSON document the server
writes). A job left queued or running by a server process that no longer exists on this
host is marked ``interrupted`` when the next server starts; its counts say what it had done.
Rows of other hosts (servers sharing a PostgreSQL catalog) are left to their own servers.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from vidseek.core.catalog.schema import JobRow

UNFINISHED = ("queued", "running")
KEEP = 1000  # finished jobs kept; older ones are deleted


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobLog:
    def __init__(self, engine: Engine, owner: str | None = None) -> None:
        self.engine = engine
        self.owner = owner or this_process()

    def save(self, job_id: str, state: str, created_at: float, document: dict[str, Any]) -> None:
        """Insert or update one job's row."""
        with Session(self.engine) as s, s.begin():
            row = s.get(JobRow, job_id)
            if row is None:
                row = JobRow(id=job_id, owner=self.owner, created_at=created_at)
                s.add(row)
            row.state = state
            row.document = json.dumps(document)

    def get(self, job_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as s:
            row = s.get(JobRow, job_id)
            return json.loads(row.document) if row is not None else None

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest ``limit`` jobs, oldest first."""
        q = select(JobRow.document).order_by(JobRow.created_at.desc()).limit(limit)
        with Session(self.engine) as s:
            return [json.loads(d) for d in reversed(s.scalars(q).all())]

    def interrupt_orphans(self) -> int:
        """Mark this host's unfinished jobs whose server process is gone as interrupted."""
        host = self.owner.rsplit(":", 1)[0]
        changed = 0
        with Session(self.engine) as s, s.begin():
            rows = s.scalars(select(JobRow).where(JobRow.state.in_(UNFINISHED))).all()
            for row in rows:
                row_host, _, pid = row.owner.rpartition(":")
                if row_host != host or row.owner == self.owner or _alive(pid):
                    continue
                document = json.loads(row.document)
                document.update(state="interrupted", current_file=None, eta_s=None)
                document["finished_at"] = document.get("finished_at") or time.time()
                document["error"] = "the server stopped while this job was " + row.state
                row.state, row.document = "interrupted", json.dumps(document)
                changed += 1
            old = select(JobRow.id).order_by(JobRow.created_at.desc()).offset(KEEP)
            s.execute(delete(JobRow).where(JobRow.id.in_(old.scalar_subquery())))
        return changed


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
