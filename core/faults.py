"""Test-only crash injection: make this process SIGKILL itself at a named point.

``VIDSEEK_FAULT=POINT:N`` kills the process the N-th time (1-based) execution reaches
``fault_point(POINT)``; several may be given comma-separated. Unset (always, outside tests)
the check is one dictionary lookup. Points:

- ``catalog-commit``: inside a video's catalog transaction, rows written, not yet committed.
- ``rerank-rename``: a re-rank file (``ivfpq``) is written and fsynced, not yet renamed.
- ``snapshot-rename``: the vector snapshot's temp file is written and fsynced, not renamed.
- ``manifest-rename``: the new ``segments.faiss`` is in place, its manifest not yet.
- ``evidence-commit``: inside a video's text-evidence transaction for one kind, not committed.
- ``read-audio``: reading a file's audio for speech (in the isolated worker, when there is one).
"""

from __future__ import annotations

import os
import signal

_ENV = "VIDSEEK_FAULT"
_hits: dict[str, int] = {}


def _plan() -> dict[str, int]:
    plan = {}
    for part in os.environ.get(_ENV, "").split(","):
        point, _, n = part.strip().partition(":")
        if point:
            plan[point] = int(n or 1)
    return plan


def fault_point(point: str) -> None:
    """SIGKILL this process if ``VIDSEEK_FAULT`` asks for a crash at this hit of ``point``."""
    if _ENV not in os.environ:
        return
    target = _plan().get(point)
    if target is None:
        return
    _hits[point] = _hits.get(point, 0) + 1
    if _hits[point] == target:
        os.kill(os.getpid(), signal.SIGKILL)
