"""The keyword index over ``text_spans.text``, created by migration 6 and kept in sync by the
database itself, so a span and its index entries commit (or vanish) in one transaction.

SQLite: two external-content FTS5 tables filled by triggers on ``text_spans``:
``text_spans_fts`` (unicode61, diacritics removed: words, case and accents folded, BM25) and
``text_spans_trigram`` (trigram: substrings, for Chinese and Japanese, which have no spaces;
only spans with CJK text, through the view ``text_spans_cjk``).
PostgreSQL: GIN indexes on expressions of ``text`` (no extra column to keep in sync):
``to_tsvector('simple', vidseek_fold(text))`` for words, and ``vidseek_fold(text)
gin_trgm_ops`` for substrings when the ``pg_trgm`` extension can be created (else substring
queries scan). ``vidseek_fold`` is an IMMUTABLE SQL function (``translate``) that lower-cases
and strips accents from Latin, Greek and Cyrillic letters; it needs no extension, so it works
on any server and in any locale (``lower()`` alone folds only ASCII under the C locale).
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from vidseek.core.errors import CatalogError

WORDS_TABLE = "text_spans_fts"
TRIGRAM_TABLE = "text_spans_trigram"
FOLD_FUNCTION = "vidseek_fold"


def tsvector(column: str = "text") -> str:
    """The indexed expression (queries must repeat it exactly for the GIN index to serve)."""
    return f"to_tsvector('simple'::regconfig, {FOLD_FUNCTION}({column}))"


# Han, kana, Hangul, CJK punctuation and full-width forms: scripts written without spaces.
CJK_RANGES = (
    (0x3000, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
CJK_SPANS = "text_spans_cjk"  # the spans holding any of them: what the trigram table indexes
_HAS_CJK = "GLOB '*[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES) + "]*'"

# table, tokenizer, content (a view for the trigram table), the rows it holds (a condition
# on the span's text, or None for all).
_SQLITE_TABLES = (
    (WORDS_TABLE, "unicode61 remove_diacritics 2", "text_spans", None),
    (TRIGRAM_TABLE, "trigram", CJK_SPANS, _HAS_CJK),
)
# Latin-1 Supplement through Latin Extended-B, Greek, Cyrillic.
_FOLD_RANGES = ((0x41, 0x5A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF))


def fold_char(ch: str) -> str:
    """One character without accents, lower-cased (may be several characters, e.g. ß)."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return stripped.casefold()


def fold_map() -> tuple[str, str]:
    """``translate`` arguments: each foldable letter and the one letter it folds to."""
    src, dst = [], []
    for low, high in _FOLD_RANGES:
        for code in range(low, high + 1):
            ch = chr(code)
            folded = fold_char(ch)
            if len(folded) == 1 and folded != ch and unicodedata.category(ch).startswith("L"):
                src.append(ch)
                dst.append(folded)
    return "".join(src), "".join(dst)


def create_text_index(conn: Connection) -> None:
    """Migration 6: the keyword index over the spans already stored and every later one."""
    if conn.dialect.name == "postgresql":
        _create_postgres(conn)
    elif conn.dialect.name == "sqlite":
        _create_sqlite(conn)
    # Other SQLAlchemy backends get no index: keyword search scans with LIKE there.


def _create_sqlite(conn: Connection) -> None:
    """Words of every span; trigrams only of spans with CJK text (the only ones a CJK
    query can match; trigram-indexing every span would cost 4x the writes)."""
    conn.exec_driver_sql(
        f"CREATE VIEW {CJK_SPANS} AS SELECT id, text FROM text_spans WHERE text {_HAS_CJK}"
    )
    for table, tokenizer, content, _ in _SQLITE_TABLES:
        try:
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {table} USING fts5(text, content='{content}', "
                f"content_rowid='id', tokenize='{tokenizer}')"
            )
        except DBAPIError as exc:
            raise CatalogError(
                f"this Python's SQLite ({conn.dialect.dbapi.sqlite_version}) lacks FTS5 with the "
                f"{tokenizer.split()[0]} tokenizer (SQLite 3.34 or newer has it): {exc.orig}"
            ) from exc
    inserts = "".join(_trigger_row(t, "new", where) for t, _, _, where in _SQLITE_TABLES)
    deletes = "".join(_trigger_row(t, "old", where) for t, _, _, where in _SQLITE_TABLES)
    conn.exec_driver_sql(
        f"CREATE TRIGGER text_spans_ai AFTER INSERT ON text_spans BEGIN {inserts} END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER text_spans_ad AFTER DELETE ON text_spans BEGIN {deletes} END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER text_spans_au AFTER UPDATE ON text_spans BEGIN {deletes}{inserts} END"
    )
    for table, *_ in _SQLITE_TABLES:  # spans stored before this migration
        conn.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def _trigger_row(table: str, row: str, where: str | None) -> str:
    """Add (``new``) or remove (``old``) one span's entry, if the table holds that span."""
    command = f"'delete', {row}.id, {row}.text" if row == "old" else f"{row}.id, {row}.text"
    columns = f"{table}, rowid, text" if row == "old" else "rowid, text"
    condition = f" WHERE {row}.text {where}" if where else ""
    return f"INSERT INTO {table}({columns}) SELECT {command}{condition};"


def _create_postgres(conn: Connection) -> None:
    src, dst = fold_map()
    conn.execute(
        text(
            f"CREATE OR REPLACE FUNCTION {FOLD_FUNCTION}(t text) RETURNS text "
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
            f"AS $$ SELECT lower(translate(t, '{src}', '{dst}')) $$"
        )
    )
    conn.execute(text(f"CREATE INDEX ix_text_spans_tsv ON text_spans USING GIN (({tsvector()}))"))
    if has_trigram_extension(conn) or _try_create_trigram_extension(conn):
        conn.execute(
            text(
                "CREATE INDEX ix_text_spans_trgm ON text_spans "
                f"USING GIN (({FOLD_FUNCTION}(text)) gin_trgm_ops)"
            )
        )


def has_trigram_extension(conn: Connection) -> bool:
    return bool(conn.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")))


def _try_create_trigram_extension(conn: Connection) -> bool:
    """pg_trgm is trusted since PostgreSQL 13 (a database owner may create it); without it,
    or without the contrib package, substring queries still work by scanning."""
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        return True
    except DBAPIError:
        return False


def text_index_problems(conn: Connection) -> list[str]:
    """SQLite: each FTS5 table checked against ``text_spans`` (empty when they agree, and on
    PostgreSQL, whose GIN indexes are part of the table's own transactions)."""
    if conn.dialect.name != "sqlite":
        return []
    problems = []
    for table, *_ in _SQLITE_TABLES:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(
                    f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"
                )
        except (DBAPIError, CatalogError) as exc:
            reason = exc.orig if isinstance(exc, DBAPIError) else exc.__cause__ or exc
            problems.append(f"keyword index {table} disagrees with text_spans: {reason}")
    return problems


def rebuild_text_index(conn: Connection) -> None:
    """Rebuild the keyword index from ``text_spans`` (the source of truth)."""
    if conn.dialect.name == "sqlite":
        for table, *_ in _SQLITE_TABLES:
            conn.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("REINDEX TABLE text_spans"))
