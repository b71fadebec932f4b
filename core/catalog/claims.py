"""Claims: leases that let several indexer processes share one catalog without doing the same
work twice.

Before embedding a file, a process claims its content hash: a row in ``claims`` with its owner
id and a lease expiry, inserted with ``INSERT … ON CONFLICT DO NOTHING`` so exactly one process
wins. A heartbeat thread extends the owner's leases while it works; the claim is deleted once
the result is committed. A claim whose lease ran out (its owner died or hung), or whose owner
is a dead process on this host, can be taken over with a compare-and-swap ``UPDATE``.

Times are epoch seconds from the database clock, so hosts with skewed clocks agree.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from vidseek.core.catalog.schema import Claim

__all__ = ["ClaimBoard", "ClaimInfo", "new_owner_id"]

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 60.0


@dataclass(frozen=True)
class ClaimInfo:
    content_hash: str
    owner: str
    path: str | None
    expires_in: float  # seconds; negative once the lease ran out

    @property
    def expired(self) -> bool:
        return self.expires_in < 0


def new_owner_id() -> str:
    """``host:pid:random`` — unique per claim board, and says where the owner runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead_here(owner: str) -> bool:
    """True if ``owner`` is a process of this host that no longer runs (or is a zombie)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _db_now(engine: Engine) -> ColumnElement[float]:
    """Epoch seconds on the database's clock."""
    name = engine.dialect.name
    if name == "postgresql":
        return literal_column("(EXTRACT(EPOCH FROM clock_timestamp())::float8)")
    if name == "sqlite":
        return literal_column("((julianday('now') - 2440587.5) * 86400.0)")
    import time

    return literal_column(repr(time.time()))  # other databases: this host's clock


class ClaimBoard:
    """One process's view of the claims table: claim, renew (heartbeat), release."""

    def __init__(
        self, engine: Engine, *, lease_s: float = DEFAULT_LEASE_S, owner: str | None = None
    ) -> None:
        self.engine = engine
        self.lease_s = float(lease_s)
        self.owner = owner or new_owner_id()
        self._now = _db_now(engine)
        self._held: set[str] = set()
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ClaimBoard:
        """Start the heartbeat thread (renews this owner's leases every third of a lease)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="vidseek-claims", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the heartbeat and release every claim still held."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with contextlib.suppress(SQLAlchemyError), self.engine.begin() as conn:
            conn.execute(delete(Claim).where(Claim.owner == self.owner))
        with self._mutex:
            self._held.clear()

    def __enter__(self) -> ClaimBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- claims ------------------------------------------------------------------------------

    def try_claim(self, content_hash: str, path: str | None = None) -> bool:
        """Claim ``content_hash`` for this owner; False if another live owner holds it."""
        if self._insert(content_hash, path):
            self._remember(content_hash)
            return True
        current = self.holder(content_hash)
        if current is None:  # released between our insert and our look: try once more
            if self._insert(content_hash, path):
                self._remember(content_hash)
                return True
            return False
        if current.owner == self.owner:
            self._remember(content_hash)
            return True
        dead = owner_is_dead_here(current.owner)
        if not (current.expired or dead):
            return False
        # Take over only if the row is still the one we judged abandoned (an owner that was
        # merely slow may have renewed meanwhile).
        still = [Claim.content_hash == content_hash, Claim.owner == current.owner]
        if not dead:
            still.append(Claim.expires_at < self._now)
        stmt = (
            update(Claim)
            .where(*still)
            .values(
                owner=self.owner,
                path=path,
                claimed_at=self._now,
                expires_at=self._now + self.lease_s,
            )
        )
        with self.engine.begin() as conn:
            taken = conn.execute(stmt).rowcount == 1
        if taken:
            log.info("took over the abandoned claim of %s on %s", current.owner, content_hash)
            self._remember(content_hash)
        return taken

    def release(self, content_hash: str) -> None:
        """Drop this owner's claim on ``content_hash`` (after its result is committed)."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(Claim).where(Claim.content_hash == content_hash, Claim.owner == self.owner)
            )
        with self._mutex:
            self._held.discard(content_hash)

    def holder(self, content_hash: str) -> ClaimInfo | None:
        """Who holds ``content_hash`` now, if anyone."""
        q = select(Claim.owner, Claim.path, Claim.expires_at - self._now).where(
            Claim.content_hash == content_hash
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        return ClaimInfo(content_hash, row[0], row[1], float(row[2]))

    def renew(self) -> int:
        """Extend all of this owner's leases; returns how many rows were renewed."""
        stmt = (
            update(Claim)
            .where(Claim.owner == self.owner)
            .values(expires_at=self._now + self.lease_s)
        )
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).rowcount)

    @property
    def held(self) -> frozenset[str]:
        with self._mutex:
            return frozenset(self._held)

    # --- internals ---------------------------------------------------------------------------

    def _remember(self, content_hash: str) -> None:
        with self._mutex:
            self._held.add(content_hash)

    def _insert(self, content_hash: str, path: str | None) -> bool:
        """One transaction: insert our claim unless a row exists; True if inserted."""
        values = {
            "content_hash": content_hash,
            "owner": self.owner,
            "path": path,
            "claimed_at": self._now,
            "expires_at": self._now + self.lease_s,
        }
        dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(self.engine.dialect.name)
        try:
            with self.engine.begin() as conn:
                if dialect is not None:
                    stmt = dialect.insert(Claim).values(values).on_conflict_do_nothing()
                    return conn.execute(stmt).rowcount == 1
                conn.execute(insert(Claim).values(values))
                return True
        except IntegrityError:  # databases without ON CONFLICT
            return False

    def _beat(self) -> None:
        interval = max(self.lease_s / 3, 0.05)
        while not self._stop.wait(interval):
            if not self.held:
                continue
            try:
                self.renew()
            except SQLAlchemyError as exc:  # a blip must not kill the job; leases are long
                log.warning("could not renew indexing claims: %s", exc)
