"""Engine construction: any SQLAlchemy URL. SQLite gets durable, concurrent-friendly pragmas;
PostgreSQL goes through psycopg 3 (``pip install 'vidseek[postgres]'``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from vidseek.core.errors import CatalogError, StorageFull

BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver vidseek ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_postgres(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "postgresql"


def _postgres_engine(url: URL) -> Engine:
    if url.drivername == "postgresql+psycopg":
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise CatalogError(
                "a PostgreSQL catalog needs psycopg: pip install 'vidseek[postgres]'"
            ) from exc
    # Keepalives let the server notice a vanished indexer (its claims are leases anyway).
    args = {
        "connect_timeout": PG_CONNECT_TIMEOUT_S,
        "application_name": "vidseek",
        "keepalives": 1,
        "keepalives_idle": 30,
    }
    return create_engine(url, pool_pre_ping=True, connect_args=args)


# What database drivers say when the catalog is damaged, or the disk under it is full.
_DAMAGED = ("database disk image is malformed", "file is not a database", "malformed database")
_FULL = ("database or disk is full", "no space left on device", "disk full", "diskfull")


def explain_errors(engine: Engine, where: str) -> Engine:
    """Turn a damaged catalog and a full disk into ``CatalogError`` and ``StorageFull``
    (one clear sentence each) wherever a query runs; other errors pass through unchanged."""

    @event.listens_for(engine, "handle_error")
    def _explain(context: Any) -> None:
        original = context.original_exception
        said = f"{type(original).__name__} {original}".lower()
        if any(words in said for words in _FULL):
            raise StorageFull(f"no space left to write the catalog at {where}") from original
        if any(words in said for words in _DAMAGED):
            first = str(original).splitlines()[0] if str(original) else type(original).__name__
            raise CatalogError(f"the catalog at {where} is damaged: {first}") from original

    return engine


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine for ``url``. For SQLite: WAL, synchronous=FULL, foreign keys, busy
    timeout, and real transactions (the stdlib driver would otherwise autocommit DDL)."""
    parsed = make_url(normalize_url(url))
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "postgresql":
        return explain_errors(_postgres_engine(parsed), where)
    if parsed.get_backend_name() != "sqlite":
        return explain_errors(create_engine(parsed, pool_pre_ping=True), where)

    engine = explain_errors(
        create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}), parsed.database or url
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook below start txns
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not read_only:  # journal_mode is persistent and changing it writes the file
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    # A writer takes the write lock up front: a deferred transaction that reads and then
    # writes fails at once with "database is locked" when another writer got in between
    # (SQLite cannot wait there without risking deadlock); IMMEDIATE waits busy_timeout.
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine
