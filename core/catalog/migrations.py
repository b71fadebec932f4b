"""Numbered schema migrations. Migration N brings a catalog from version N-1 to N.

Each migration is frozen once released: it declares exactly the tables it creates with its own
``MetaData`` rather than importing the current models, so later model changes never alter it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from vidseek.core.catalog.text_index import create_text_index
from vidseek.core.errors import CatalogError

_Id = BigInteger().with_variant(Integer(), "sqlite")
_MIGRATE_LOCK = 0x76696473656B01  # PostgreSQL advisory lock key: "vidsek" + 1


def _m001_initial(conn: Connection) -> None:
    """Create meta, videos, frames, segments."""
    md = MetaData()
    Table("meta", md, Column("key", String(64), primary_key=True), Column("value", Text))
    Table(
        "videos",
        md,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("path", Text, nullable=False, unique=True),
        Column("content_hash", String(128), nullable=False, index=True),
        Column("size", BigInteger, nullable=False),
        Column("mtime", Float),
        Column("duration", Float),
        Column("fps", Float),
        Column("width", Integer),
        Column("height", Integer),
        Column("codec", String(64)),
        Column("backend", String(32)),
        Column("status", String(16), nullable=False, index=True),
        Column("error", Text),
        Column("n_frames", Integer, nullable=False),
        Column("n_segments", Integer, nullable=False),
        Column("indexed_at", String(32)),
        Column("vector", LargeBinary),
        sqlite_autoincrement=True,
    )
    Table(
        "frames",
        md,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column(
            "video_id", _Id, ForeignKey("videos.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("t", Float, nullable=False),
        Column("vector", LargeBinary, nullable=False),
    )
    Table(
        "segments",
        md,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column(
            "video_id", _Id, ForeignKey("videos.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("start", Float, nullable=False),
        Column("end", Float, nullable=False),
        Column("n_frames", Integer, nullable=False),
        Column("vector", LargeBinary, nullable=False),
        sqlite_autoincrement=True,
    )
    md.create_all(conn)
    conn.execute(
        md.tables["meta"].insert(),
        [{"key": "created_at", "value": datetime.now(UTC).isoformat(timespec="seconds")}],
    )


def _m002_claims(conn: Connection) -> None:
    """Create claims: which indexer process is embedding which content right now (a lease)."""
    md = MetaData()
    Table(
        "claims",
        md,
        Column("content_hash", String(128), primary_key=True),
        Column("owner", String(200), nullable=False, index=True),
        Column("path", Text),
        Column("claimed_at", Float, nullable=False),
        Column("expires_at", Float, nullable=False),
    )
    md.create_all(conn)


def _m003_path_prefix_index(conn: Connection) -> None:
    """Index videos.path in code-point order, for path-prefix filters (a range on it).

    SQLite already has one: the UNIQUE index on path compares bytes (BINARY). PostgreSQL's
    UNIQUE index follows the database collation, where a prefix is not a range.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text('CREATE INDEX ix_videos_path_c ON videos (path COLLATE "C")'))


def _m004_jobs(conn: Connection) -> None:
    """Create jobs: index jobs of ``vidseek serve``, so a restart shows what they had done."""
    md = MetaData()
    Table(
        "jobs",
        md,
        Column("id", String(64), primary_key=True),
        Column("owner", String(200), nullable=False, index=True),
        Column("state", String(16), nullable=False, index=True),
        Column("created_at", Float, nullable=False, index=True),
        Column("document", Text, nullable=False),
    )
    md.create_all(conn)


def _m005_text_spans(conn: Connection) -> None:
    """Create text_spans (speech, subtitle and on-screen text with times) and evidence_runs
    (per video and kind of evidence: done, or failed with the reason)."""
    md = MetaData()
    Table("videos", md, Column("id", _Id, primary_key=True))  # for the foreign keys only
    Table(
        "text_spans",
        md,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column(
            "video_id", _Id, ForeignKey("videos.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("kind", String(16), nullable=False),
        Column("start", Float, nullable=False),
        Column("end", Float, nullable=False),
        Column("text", Text, nullable=False),
        Column("language", String(16)),
        Column("source", Text),
        Column("words", Text),
        sqlite_autoincrement=True,
    )
    Table(
        "evidence_runs",
        md,
        Column("video_id", _Id, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True),
        Column("kind", String(16), primary_key=True),
        Column("status", String(16), nullable=False),
        Column("error", Text),
        Column("model", Text),
        Column("updated", Float, nullable=False),
    )
    md.tables["text_spans"].create(conn)
    md.tables["evidence_runs"].create(conn)


def _m006_text_index(conn: Connection) -> None:
    """The keyword index over text_spans.text, kept in sync by the database (text_index.py)."""
    create_text_index(conn)


def _m007_creation_time(conn: Connection) -> None:
    """videos.creation_time: the container's ``creation_time`` tag in Unix seconds (NULL for
    videos indexed before, or without one), indexed for date-range filters."""
    conn.execute(text("ALTER TABLE videos ADD COLUMN creation_time FLOAT"))
    conn.execute(text("CREATE INDEX ix_videos_creation_time ON videos (creation_time)"))


def _m008_filter_indexes(conn: Connection) -> None:
    """Indexes for the video filters (search/filters.py): each range on videos is answered
    from its own index, ids only, and speech/subtitle/language from (kind, language,
    video_id) on text_spans, never reading the rows (a 2 KiB vector each on videos)."""
    for column in ("duration", "width", "height", "mtime"):
        conn.execute(text(f"CREATE INDEX ix_videos_{column} ON videos ({column})"))
    conn.execute(
        text(
            "CREATE INDEX ix_text_spans_kind_language_video "
            "ON text_spans (kind, language, video_id)"
        )
    )


MIGRATIONS: list[Callable[[Connection], None]] = [
    _m001_initial,
    _m002_claims,
    _m003_path_prefix_index,
    _m004_jobs,
    _m005_text_spans,
    _m006_text_index,
    _m007_creation_time,
    _m008_filter_indexes,
]
SCHEMA_VERSION = len(MIGRATIONS)

_meta = Table(
    "meta", MetaData(), Column("key", String(64), primary_key=True), Column("value", Text)
)


def schema_version(conn: Connection) -> int:
    """The version recorded in the catalog; 0 for an empty database."""
    if not inspect(conn).has_table("meta"):
        return 0
    raw = conn.scalar(select(_meta.c.value).where(_meta.c.key == "schema_version"))
    try:
        return int(raw) if raw is not None else 0
    except ValueError as exc:
        raise CatalogError(f"catalog schema_version is not a number: {raw!r}") from exc


def check_version(version: int, where: str) -> None:
    """Refuse catalogs written by a newer vidseek."""
    if version > SCHEMA_VERSION:
        raise CatalogError(
            f"the catalog at {where} has schema version {version}, but this vidseek only knows "
            f"versions up to {SCHEMA_VERSION}; upgrade vidseek to open it"
        )


def migrate(conn: Connection, where: str) -> int:
    """Apply pending migrations inside the caller's transaction; returns the new version."""
    if conn.dialect.name == "postgresql":  # processes opening a new catalog at once queue here
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK})
    version = schema_version(conn)
    check_version(version, where)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[number - 1](conn)
        conn.execute(_meta.delete().where(_meta.c.key == "schema_version"))
        conn.execute(_meta.insert().values(key="schema_version", value=str(number)))
    return SCHEMA_VERSION
