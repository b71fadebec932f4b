"""Keyword search over the text evidence (speech, subtitles, on-screen text): ranked spans with
their times, from the catalog's own full-text index (``core/catalog/text_index.py``).

Every query word must occur in a span (case and accents folded); ``"quoted words"`` must occur
together, in order. Ranking: BM25 on SQLite (FTS5 ``bm25()``); on PostgreSQL ``ts_rank_cd``
(cover density divided by 1 + log(length): PostgreSQL has no BM25, this is its nearest
built-in stand-in). Queries in Chinese or Japanese (no spaces) match substrings: the trigram
table on SQLite when each piece has 3 characters or more, else a LIKE scan of the spans;
``pg_trgm``-indexed LIKE on PostgreSQL. A span whose text holds the whole query word for
word is ``exact``; such spans are looked up too, so the limit never cuts them.

Speech recognition mishears words ("checked" heard as "caked"), so a query of 3 words or more
that fewer than ``limit`` spans hold in full also finds spans holding most of its words (all
but one for 3-5 words, all but two for 6 or more) within a short run of the span's words:
``partial`` hits, ranked after every full match, by the words matched, how tightly they sit
together, then BM25 (SQLite: an FTS5 OR query; PostgreSQL: the words' tsqueries joined with
``||``; both rescored in Python over at most ``PARTIAL_CANDIDATES`` spans). Quoted phrases
never match in part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.exc import DBAPIError

from vidseek.core.catalog.text_index import TRIGRAM_TABLE, WORDS_TABLE, tsvector
from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import EVIDENCE_KINDS
from vidseek.search.text_match import (
    KeywordQuery,
    Window,
    best_window,
    fold,
    locate,
    partial_need,
    words,
)

PARTIAL_CANDIDATES = 200  # spans rescored for a partial match (the OR query's best by BM25)
TRIGRAM_MIN_CHARS = 3  # FTS5's trigram tokenizer cannot match shorter pieces
_COLUMNS = 's.id, s.video_id, v.path, s.kind, s.start, s."end", s.text, s.language, s.words'


@dataclass(frozen=True)
class KeywordHit:
    """One span that matched: its evidence, its times, and how well it matched.

    ``start``/``end`` are the matched words' times for speech with word times, else the
    span's; ``score`` is the backend's rank (higher is better, comparable within one query);
    ``exact``: the whole query occurs in the text word for word; ``partial``: the span holds
    only most of the query's words (a misheard word), ranked after every full match."""

    span_id: int
    video_id: int
    path: str
    kind: str
    span_start: float
    span_end: float
    text: str
    language: str | None
    score: float
    exact: bool
    start: float
    end: float
    timed: bool = False  # start/end are the matched words' own times (speech)
    partial: bool = False

    def snippet(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "language": self.language,
        }


def search_keywords(
    library: Library,
    query_text: str,
    *,
    limit: int = 50,
    kinds: Collection[str] = EVIDENCE_KINDS,
    video_ids: Collection[int] | None = None,
    exclude_video_ids: Collection[int] | None = None,
) -> list[KeywordHit]:
    """The ``limit`` best spans for ``query_text`` among ``kinds``, best first (exact
    matches of the whole query before the rest)."""
    query = KeywordQuery.parse(query_text)
    kinds = tuple(k for k in EVIDENCE_KINDS if k in kinds)
    if query.empty or not kinds or limit < 1 or (video_ids is not None and not video_ids):
        return []
    scope = _Scope(kinds, video_ids, exclude_video_ids, limit)
    engine = library.catalog.engine
    try:
        with engine.connect() as conn:
            rows = _rows(conn, query, scope)
            partial = _partial_rows(conn, query, scope, rows)
    except DBAPIError as exc:
        raise QueryError(f"the keyword index could not answer {query_text!r}: {exc.orig}") from exc
    hits: dict[int, KeywordHit] = {}
    for row, score in rows:
        if row[0] not in hits:
            hits[row[0]] = _hit(query, row, score)
    for row, score in partial:
        if row[0] not in hits:
            hits[row[0]] = replace(_hit(query, row, score), partial=True)
    order = sorted(hits.values(), key=lambda h: (not h.exact, h.partial, -h.score, h.span_id))
    return order[:limit]


def text_generation(library: Library) -> tuple[int, float]:
    """Changes whenever spans are stored or replaced (ids are never reused, and each
    replacement stamps its evidence run): for result caches."""
    sql = "SELECT (SELECT max(id) FROM text_spans), (SELECT max(updated) FROM evidence_runs)"
    with library.catalog.engine.connect() as conn:
        top, updated = conn.execute(text(sql)).one()
    return int(top or 0), float(updated or 0.0)


@dataclass(frozen=True)
class _Scope:
    kinds: tuple[str, ...]
    video_ids: Collection[int] | None
    exclude: Collection[int] | None
    limit: int
    span_ids: tuple[int, ...] | None = None  # only these spans

    def where(self, dialect: str) -> tuple[str, dict[str, Any]]:
        sql = " AND v.status = 'indexed' AND s.kind IN :kinds"
        params: dict[str, Any] = {"kinds": list(self.kinds), "limit": self.limit}
        if self.span_ids is not None:
            sql += " AND s.id IN :span_ids"
            params["span_ids"] = list(self.span_ids)
        if self.video_ids is not None:
            sql += f" AND s.video_id IN {_id_list(dialect, 'video_ids')}"
            params["video_ids"] = _ids_param(dialect, self.video_ids)
        if self.exclude:
            sql += f" AND s.video_id NOT IN {_id_list(dialect, 'exclude')}"
            params["exclude"] = _ids_param(dialect, self.exclude)
        return sql, params


def _id_list(dialect: str, name: str) -> str:
    """Any number of ids as one parameter (a path prefix may allow more videos than a
    statement may have parameters)."""
    if dialect == "sqlite":
        return f"(SELECT value FROM json_each(:{name}))"
    if dialect == "postgresql":
        return f"(SELECT unnest(CAST(:{name} AS BIGINT[])))"
    return f":{name}"  # expanded by SQLAlchemy


def _ids_param(dialect: str, ids: Collection[int]) -> object:
    values = sorted(int(v) for v in ids)
    return json.dumps(values) if dialect == "sqlite" else values


def _rows(conn: Connection, query: KeywordQuery, scope: _Scope) -> list[tuple[Sequence, float]]:
    dialect = conn.dialect.name
    if query.cjk:
        if dialect == "sqlite" and all(len(p) >= TRIGRAM_MIN_CHARS for p in query.substrings):
            return _sqlite_match(conn, TRIGRAM_TABLE, _fts_and(query.substrings), scope)
        return _substring_scan(conn, query, scope)
    if dialect == "sqlite":
        phrase = _fts_phrase(" ".join(query.all_words))
        return _with_exact(
            lambda sc: _sqlite_match(conn, WORDS_TABLE, _fts_query(query), sc),
            lambda sc: _sqlite_match(conn, WORDS_TABLE, phrase, sc),
            query,
            scope,
        )
    if dialect == "postgresql":
        return _with_exact(
            lambda sc: _postgres_match(conn, query, sc, whole=False),
            lambda sc: _postgres_match(conn, query, sc, whole=True),
            query,
            scope,
        )
    return _substring_scan(conn, query, scope)


Search = Callable[[_Scope], list[tuple[Sequence, float]]]


def _with_exact(required: Search, whole: Search, query: KeywordQuery, scope: _Scope):
    """The best spans holding every word, plus any span holding the whole query word for
    word that the limit cut: scored by the same query, so all scores compare."""
    rows = required(scope)
    if len(query.all_words) < 2 or len(rows) < scope.limit:
        return rows  # nothing was cut, or a one-word query: every hit is exact
    seen = {row[0] for row, _ in rows}
    missing = tuple(row[0] for row, _ in whole(scope) if row[0] not in seen)
    if missing:
        rows += required(replace(scope, span_ids=missing, limit=len(missing)))
    return rows


def _partial_rows(
    conn: Connection, query: KeywordQuery, scope: _Scope, full: list[tuple[Sequence, float]]
) -> list[tuple[Sequence, float]]:
    """Spans holding most (not all) of a 3+ word query's words close together, best first,
    scored below every full match; none when ``full`` already fills the limit."""
    wanted = query.all_words
    distinct = list(dict.fromkeys(wanted))
    need = partial_need(len(distinct))
    dialect = conn.dialect.name
    if query.cjk or query.phrases or need is None or len(full) >= scope.limit:
        return []
    if dialect not in ("sqlite", "postgresql"):
        return []
    wide = replace(scope, limit=PARTIAL_CANDIDATES)
    if dialect == "sqlite":
        match = " OR ".join(_fts_phrase(w) for w in distinct)
        candidates = _sqlite_match(conn, WORDS_TABLE, match, wide)
    else:
        candidates = _postgres_any(conn, distinct, wide)
    seen = {row[0] for row, _ in full}
    found: list[tuple[Window, float, Sequence]] = []
    for row, score in candidates:
        window = best_window(_tokens(row), wanted) if row[0] not in seen else None
        if window is not None and need <= window.count < len(distinct):
            found.append((window, score, row))
    found.sort(key=lambda f: (-f[0].count, -f[0].ordered, f[0].gaps, -f[1], f[2][0]))
    ceiling = min((score for _, score in full), default=None)
    out = []
    for window, score, row in found[: scope.limit - len(full)]:
        value = score * window.count / len(distinct) / (1 + window.gaps)
        if ceiling is not None:
            value = min(value, ceiling * 0.99) if ceiling > 0 else ceiling - abs(value) - 1e-6
        out.append((row, value))
    return out


def _tokens(row: Sequence) -> list[str]:
    """The span's words as ``locate`` reads them (the speech model's words when it has them)."""
    raw = row[8]
    if raw:
        return [w for item in json.loads(raw) for w in words(str(item[2]))]
    return words(str(row[6]))


def _postgres_any(
    conn: Connection, distinct: Sequence[str], scope: _Scope
) -> list[tuple[Sequence, float]]:
    """Spans holding any of the words, by ``ts_rank_cd`` (each word's tsquery joined by ||)."""
    where, params = scope.where(conn.dialect.name)
    tsquery = " || ".join(_tsquery("plainto", f"w{i}") for i in range(len(distinct)))
    params |= {f"w{i}": w for i, w in enumerate(distinct)}
    return _postgres_ranked(conn, tsquery, where, params)


def _fts_phrase(words: str) -> str:
    return '"' + words.replace('"', '""') + '"'


def _fts_and(pieces: Sequence[str]) -> str:
    return " AND ".join(_fts_phrase(p) for p in pieces)


def _fts_query(query: KeywordQuery) -> str:
    """Every term and phrase quoted (so no FTS5 operator can be typed in), all required."""
    return _fts_and([*query.phrases, *query.terms])


def _sqlite_match(
    conn: Connection, table: str, match: str, scope: _Scope
) -> list[tuple[Sequence, float]]:
    where, params = scope.where(conn.dialect.name)
    sql = (
        f"SELECT {_COLUMNS}, -bm25({table}) AS score FROM {table} "
        f"JOIN text_spans AS s ON s.id = {table}.rowid JOIN videos AS v ON v.id = s.video_id "
        f"WHERE {table} MATCH :match{where} ORDER BY score DESC, s.id LIMIT :limit"
    )
    result = conn.execute(_expanding(sql, params), {**params, "match": match})
    return [(row[:-1], float(row[-1])) for row in result]


def _postgres_match(
    conn: Connection, query: KeywordQuery, scope: _Scope, *, whole: bool
) -> list[tuple[Sequence, float]]:
    """Spans holding every word and phrase (``whole``: the whole query, word for word),
    ranked by ``ts_rank_cd`` normalised by length."""
    where, params = scope.where(conn.dialect.name)
    if whole:
        tsquery = _tsquery("phraseto", "phrase")
        params["phrase"] = " ".join(query.all_words)
    else:
        tsquery = " && ".join(
            [_tsquery("phraseto", f"p{i}") for i in range(len(query.phrases))]
            + ([_tsquery("plainto", "terms")] if query.terms else [])
        )
        params |= {f"p{i}": p for i, p in enumerate(query.phrases)}
        params["terms"] = " ".join(query.terms)
    return _postgres_ranked(conn, tsquery, where, params)


def _postgres_ranked(
    conn: Connection, tsquery: str, where: str, params: dict[str, Any]
) -> list[tuple[Sequence, float]]:
    """Spans matching ``tsquery`` (and the scope's ``where``), best ``ts_rank_cd`` first."""
    vector = tsvector("s.text")
    sql = (
        f"SELECT {_COLUMNS}, ts_rank_cd({vector}, q.query, 1) AS score "
        f"FROM text_spans AS s JOIN videos AS v ON v.id = s.video_id, "
        f"(SELECT {tsquery} AS query) AS q "
        f"WHERE {vector} @@ q.query{where} "
        "ORDER BY score DESC, s.id LIMIT :limit"
    )
    return [(r[:-1], float(r[-1])) for r in conn.execute(_expanding(sql, params), params)]


def _tsquery(function: str, param: str) -> str:
    return f"{function}_tsquery('simple'::regconfig, vidseek_fold(:{param}))"


def _substring_scan(
    conn: Connection, query: KeywordQuery, scope: _Scope
) -> list[tuple[Sequence, float]]:
    """Spans containing every piece: LIKE (pg_trgm-indexed on PostgreSQL, where both sides
    are folded; a scan elsewhere, where LIKE folds ASCII case only). Score: the share of the
    span's text the pieces cover, so short spans that are mostly the query come first."""
    where, params = scope.where(conn.dialect.name)
    pieces = query.substrings
    folded = conn.dialect.name == "postgresql"
    column = "vidseek_fold(s.text)" if folded else "s.text"
    likes = " AND ".join(
        f"{column} LIKE ('%' || {f'vidseek_fold(:x{i})' if folded else f':x{i}'} || '%') "
        "ESCAPE '\\'"
        for i in range(len(pieces))
    )
    params |= {f"x{i}": _escape_like(p) for i, p in enumerate(pieces)}
    sql = (
        f"SELECT {_COLUMNS} FROM text_spans AS s JOIN videos AS v ON v.id = s.video_id "
        f"WHERE {likes}{where} ORDER BY length(s.text), s.id LIMIT :limit"
    )
    covered = sum(len(p) for p in pieces)
    return [
        (row, covered / max(len(fold(row[6])), covered, 1))
        for row in conn.execute(_expanding(sql, params), params)
    ]


def _escape_like(piece: str) -> str:
    return piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _expanding(sql: str, params: dict[str, Any]):
    names = ("kinds", "video_ids", "exclude", "span_ids")
    lists = [bindparam(k, expanding=True) for k in names if f"IN :{k}" in sql]
    return text(sql).bindparams(*lists)


def _hit(query: KeywordQuery, row: Sequence, score: float) -> KeywordHit:
    span_id, video_id, path, kind, start, end, body, language, raw_words = row
    timed = json.loads(raw_words) if raw_words else None
    where = locate(query, body, timed)
    return KeywordHit(
        span_id=int(span_id),
        video_id=int(video_id),
        path=str(path),
        kind=str(kind),
        span_start=float(start),
        span_end=float(end),
        text=str(body),
        language=language,
        score=score,
        exact=where.exact,
        start=where.start if where.start is not None else float(start),
        end=where.end if where.end is not None else float(end),
        timed=where.start is not None,
    )
