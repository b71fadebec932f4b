"""The catalog: source of truth for videos, frames, segments and every vector."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vidseek.core.catalog.engine import make_engine
from vidseek.core.catalog.migrations import SCHEMA_VERSION, check_version, migrate, schema_version
from vidseek.core.catalog.schema import EvidenceRun, Frame, Meta, Segment, TextSpanRow, Video
from vidseek.core.errors import CatalogError, VideoNotFound
from vidseek.core.faults import fault_point
from vidseek.core.types import (
    EVIDENCE_KINDS,
    EvidenceStatus,
    ModelIdentity,
    TextSpan,
    VideoCommit,
    VideoRecord,
)

_F32 = np.dtype("<f4")
_CHUNK = 500  # keeps IN (...) lists under every backend's bound-parameter limit


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=_F32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=_F32)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SegmentRecord:
    id: int
    video_id: int
    start: float
    end: float
    n_frames: int


@dataclass(frozen=True)
class FileState:
    """What the catalog remembers about a path: enough to skip or move it without decoding."""

    id: int
    path: str
    content_hash: str
    size: int
    mtime: float | None
    status: str


@dataclass(frozen=True)
class SegmentTable:
    """Segment id → (video id, start, end), as parallel arrays sorted by id."""

    ids: np.ndarray  # int64
    video_ids: np.ndarray  # int64
    starts: np.ndarray  # float64
    ends: np.ndarray  # float64


def _record(v: Video) -> VideoRecord:
    return VideoRecord(
        id=v.id,
        path=v.path,
        content_hash=v.content_hash,
        size=v.size,
        duration=v.duration,
        fps=v.fps,
        width=v.width,
        height=v.height,
        status=v.status,
        error=v.error,
        backend=v.backend,
        n_frames=v.n_frames,
        n_segments=v.n_segments,
    )


class Catalog:
    """Typed access to the catalog database. Every write method is one transaction."""

    def __init__(self, engine: Engine, url: str, read_only: bool) -> None:
        self.engine = engine
        self.url = url
        self.read_only = read_only

    @classmethod
    def open(cls, url: str, *, read_only: bool = False) -> Catalog:
        """Connect, then migrate to the newest schema (or, read-only, require it)."""
        engine = make_engine(url, read_only=read_only)
        where = make_url(url).render_as_string(hide_password=True)
        try:
            with engine.begin() as conn:
                if read_only:
                    version = schema_version(conn)
                    check_version(version, where)
                    if version == 0:
                        raise CatalogError(f"{where} holds no vidseek catalog")
                    if version < SCHEMA_VERSION:
                        raise CatalogError(
                            f"the catalog at {where} has schema version {version} and needs an "
                            f"upgrade to {SCHEMA_VERSION}; open it once without read-only"
                        )
                else:
                    migrate(conn, where)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise CatalogError(f"cannot open the catalog at {where}: {exc}") from exc
        except CatalogError:
            engine.dispose()
            raise
        return cls(engine, url, read_only)

    def close(self) -> None:
        self.engine.dispose()

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with Session(self.engine) as s:
            return s.scalar(select(Meta.value).where(Meta.key == key))

    def set_meta(self, key: str, value: str) -> None:
        with Session(self.engine) as s, s.begin():
            s.merge(Meta(key=key, value=value))

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return schema_version(conn)

    def model(self) -> ModelIdentity | None:
        raw = self.get_meta("model")
        return ModelIdentity.from_json(raw) if raw else None

    def set_model(self, identity: ModelIdentity) -> None:
        self.set_meta("model", identity.to_json())

    # --- writes -----------------------------------------------------------------------------

    def replace_video(
        self, commit: VideoCommit, dim: int
    ) -> tuple[VideoRecord, np.ndarray, np.ndarray]:
        """Insert an indexed video with its frames and segments, replacing any earlier record
        of the same path. Returns the record, the removed segment ids and the new segment ids
        (in the order of ``commit.segments``)."""
        _validate(commit, dim)
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            removed = _delete_path(s, commit.path)
            info = commit.info
            video = Video(
                path=commit.path,
                content_hash=commit.content_hash,
                size=commit.size,
                mtime=commit.mtime,
                creation_time=info.creation_time,
                duration=info.duration,
                fps=info.fps,
                width=info.width,
                height=info.height,
                codec=info.codec,
                backend=info.backend,
                status="indexed",
                error=None,
                n_frames=len(commit.frame_times),
                n_segments=len(commit.segments),
                indexed_at=_now(),
                vector=to_blob(commit.video_vector),
            )
            s.add(video)
            s.flush()
            if len(commit.frame_times):
                s.execute(
                    insert(Frame),
                    [
                        {"video_id": video.id, "t": float(t), "vector": to_blob(v)}
                        for t, v in zip(commit.frame_times, commit.frame_vectors, strict=True)
                    ],
                )
            new_ids: list[int] = []
            if commit.segments:
                new_ids = s.scalars(
                    insert(Segment).returning(Segment.id, sort_by_parameter_order=True),
                    [
                        {
                            "video_id": video.id,
                            "start": float(seg.start),
                            "end": float(seg.end),
                            "n_frames": int(seg.n_frames),
                            "vector": to_blob(seg.vector),
                        }
                        for seg in commit.segments
                    ],
                ).all()
            fault_point("catalog-commit")
            return _record(video), removed, np.array(new_ids, dtype=np.int64)

    def upsert_failure(
        self, path: str, content_hash: str, size: int, reason: str, mtime: float | None = None
    ) -> tuple[VideoRecord, np.ndarray]:
        """Record that ``path`` failed, replacing an earlier record of that path (whose
        segment ids are returned, for removal from the index)."""
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            removed = _delete_path(s, path)
            video = Video(
                path=path,
                content_hash=content_hash,
                size=size,
                mtime=mtime,
                status="failed",
                error=reason,
                n_frames=0,
                n_segments=0,
                indexed_at=_now(),
            )
            s.add(video)
            s.flush()
            return _record(video), removed

    def delete_video(self, video_id: int) -> np.ndarray:
        """Delete one video and its rows; returns its segment ids. Raises VideoNotFound."""
        with Session(self.engine) as s, s.begin():
            if s.get(Video, video_id) is None:
                raise VideoNotFound(f"no video with id {video_id}")
            return _delete_ids(s, video_id)

    def move_video(
        self, video_id: int, new_path: str, size: int, mtime: float | None
    ) -> np.ndarray:
        """Give a video a new path (a moved file keeps its vectors), replacing any record
        already at ``new_path``, whose segment ids are returned. Raises VideoNotFound."""
        with Session(self.engine) as s, s.begin():
            if s.get(Video, video_id) is None:
                raise VideoNotFound(f"no video with id {video_id}")
            old = s.scalar(select(Video.id).where(Video.path == new_path))
            removed = _delete_ids(s, old) if old is not None and old != video_id else None
            s.execute(
                update(Video)
                .where(Video.id == video_id)
                .values(path=new_path, size=size, mtime=mtime)
            )
        return removed if removed is not None else np.zeros(0, dtype=np.int64)

    def touch_video(self, video_id: int, mtime: float | None) -> None:
        """Remember a new mtime for unchanged content, so the next run skips it unhashed."""
        with Session(self.engine) as s, s.begin():
            s.execute(update(Video).where(Video.id == video_id).values(mtime=mtime))

    def delete_orphans(self) -> np.ndarray:
        """Delete frames and segments whose video row is gone; returns the segment ids."""
        with Session(self.engine) as s, s.begin():
            known = select(Video.id)
            seg_ids = s.scalars(select(Segment.id).where(Segment.video_id.not_in(known))).all()
            s.execute(delete(Segment).where(Segment.video_id.not_in(known)))
            s.execute(delete(Frame).where(Frame.video_id.not_in(known)))
            s.execute(delete(TextSpanRow).where(TextSpanRow.video_id.not_in(known)))
            s.execute(delete(EvidenceRun).where(EvidenceRun.video_id.not_in(known)))
        return np.array(sorted(seg_ids), dtype=np.int64)

    # --- evidence: text spans and their runs ----------------------------------------------

    def replace_text_spans(
        self,
        video_id: int,
        kind: str,
        spans: Iterable[TextSpan],
        model: str | None = None,
        note: str | None = None,
    ) -> int:
        """Make ``spans`` the video's only spans of ``kind`` and mark that kind ``done``, in
        one transaction; ``note`` (kept in the run's ``error``) says what was wrong with a
        part of the input (a bad subtitle file beside good ones). Returns how many spans
        were stored. Raises VideoNotFound, ValueError."""
        _check_kind(kind)
        rows = [_span_row(video_id, kind, span) for span in spans]
        with Session(self.engine) as s, s.begin():
            if s.get(Video, video_id) is None:
                raise VideoNotFound(f"no video with id {video_id}")
            s.execute(
                delete(TextSpanRow).where(
                    TextSpanRow.video_id == video_id, TextSpanRow.kind == kind
                )
            )
            if rows:
                s.execute(insert(TextSpanRow), rows)
            _set_run(s, video_id, kind, "done", note, model)
            fault_point("evidence-commit")
        return len(rows)

    def record_evidence_failure(
        self, video_id: int, kind: str, error: str, model: str | None = None
    ) -> None:
        """Mark ``kind`` failed for the video with a reason. Spans an earlier run stored stay
        (the next run retries the kind, since it is not ``done``). Raises VideoNotFound."""
        _check_kind(kind)
        with Session(self.engine) as s, s.begin():
            if s.get(Video, video_id) is None:
                raise VideoNotFound(f"no video with id {video_id}")
            _set_run(s, video_id, kind, "failed", error or "unknown error", model)

    def text_spans(self, video_id: int | None = None, kind: str | None = None) -> list[TextSpan]:
        """Stored spans, by video, then start time."""
        q = select(TextSpanRow).order_by(TextSpanRow.video_id, TextSpanRow.start, TextSpanRow.id)
        if video_id is not None:
            q = q.where(TextSpanRow.video_id == video_id)
        if kind is not None:
            _check_kind(kind)
            q = q.where(TextSpanRow.kind == kind)
        with Session(self.engine) as s:
            return [_span(r) for r in s.scalars(q)]

    def evidence_status(self, video_id: int) -> dict[str, EvidenceStatus]:
        """Kind → the video's last run of it (kinds never run are absent)."""
        counts = dict(
            self._scalar_rows(
                select(TextSpanRow.kind, func.count(TextSpanRow.id))
                .where(TextSpanRow.video_id == video_id)
                .group_by(TextSpanRow.kind)
            )
        )
        q = select(EvidenceRun).where(EvidenceRun.video_id == video_id).order_by(EvidenceRun.kind)
        with Session(self.engine) as s:
            return {
                r.kind: EvidenceStatus(
                    video_id=r.video_id,
                    kind=r.kind,
                    status=r.status,
                    error=r.error,
                    model=r.model,
                    updated=r.updated,
                    spans=int(counts.get(r.kind, 0)),
                )
                for r in s.scalars(q)
            }

    def videos_without_evidence(self, kind: str) -> list[int]:
        """Ids (ascending) of indexed videos with no ``done`` run of ``kind``: what a resumed
        or ``--add`` run still has to do."""
        _check_kind(kind)
        done = select(EvidenceRun.video_id).where(
            EvidenceRun.kind == kind, EvidenceRun.status == "done"
        )
        q = (
            select(Video.id)
            .where(Video.status == "indexed", Video.id.not_in(done))
            .order_by(Video.id)
        )
        with Session(self.engine) as s:
            return [int(i) for i in s.scalars(q)]

    def count_text_spans(self, kind: str | None = None) -> int:
        q = select(func.count(TextSpanRow.id))
        if kind is not None:
            q = q.where(TextSpanRow.kind == kind)
        with Session(self.engine) as s:
            return int(s.scalar(q) or 0)

    def _scalar_rows(self, q: object) -> list[tuple[object, ...]]:
        with Session(self.engine) as s:
            return [tuple(r) for r in s.execute(q)]  # type: ignore[call-overload]

    # --- reads ------------------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        """Path → remembered size, mtime, hash and status, for every video row."""
        q = select(Video.id, Video.path, Video.content_hash, Video.size, Video.mtime, Video.status)
        with Session(self.engine) as s:
            return {row[1]: FileState(*row) for row in s.execute(q)}

    def orphan_counts(self) -> tuple[int, int]:
        """(frames, segments) whose video row does not exist."""
        known = select(Video.id)
        with Session(self.engine) as s:
            frames = s.scalar(select(func.count(Frame.id)).where(Frame.video_id.not_in(known)))
            segs = s.scalar(select(func.count(Segment.id)).where(Segment.video_id.not_in(known)))
        return int(frames or 0), int(segs or 0)

    def segment_count_mismatches(self) -> list[tuple[int, str, int, int]]:
        """(video id, path, recorded n_segments, stored segments) where the two disagree."""
        counts = (
            select(Segment.video_id, func.count(Segment.id).label("n"))
            .group_by(Segment.video_id)
            .subquery()
        )
        q = (
            select(Video.id, Video.path, Video.n_segments, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.video_id == Video.id)
            .where(Video.n_segments != func.coalesce(counts.c.n, 0))
            .order_by(Video.id)
        )
        with Session(self.engine) as s:
            return [tuple(row) for row in s.execute(q)]  # type: ignore[misc]

    def integrity_problems(self) -> list[str]:
        """SQLite's ``PRAGMA quick_check`` findings (empty when healthy or not SQLite)."""
        if make_url(self.url).get_backend_name() != "sqlite":
            return []
        with self.engine.connect() as conn:
            rows = [str(r[0]) for r in conn.execute(text("PRAGMA quick_check"))]
        return [] if rows == ["ok"] else rows

    def video(self, video_id: int) -> VideoRecord:
        with Session(self.engine) as s:
            v = s.get(Video, video_id)
            if v is None:
                raise VideoNotFound(f"no video with id {video_id}")
            return _record(v)

    def find_by_hash(self, content_hash: str) -> VideoRecord | None:
        q = (
            select(Video)
            .where(Video.content_hash == content_hash, Video.status == "indexed")
            .order_by(Video.id)
            .limit(1)
        )
        with Session(self.engine) as s:
            v = s.scalar(q)
            return _record(v) if v else None

    def find_by_path(self, path: str) -> VideoRecord | None:
        with Session(self.engine) as s:
            v = s.scalar(select(Video).where(Video.path == path))
            return _record(v) if v else None

    def video_ids_under(self, prefix: str) -> list[int]:
        """Ids (ascending) of the videos, of any status, whose path starts with ``prefix``, a
        plain string (``%`` and ``_`` are literal): a range on the path index, not a scan.

        Only ids are read, so SQLite answers from the index alone (7x faster than also
        reading the status from each row); a failed video has no vectors to find anyway."""
        if not prefix:
            raise ValueError("a path prefix must not be empty")
        path = Video.path
        if self.engine.dialect.name == "postgresql":
            path = path.collate("C")  # code-point order, as the bounds assume (migration 3)
        q = select(Video.id).where(path >= prefix)
        upper = prefix_upper_bound(prefix)
        if upper is not None:
            q = q.where(path < upper)
        with self.engine.connect() as conn:
            return sorted(int(i) for i in conn.execute(q).scalars())

    def videos(
        self, status: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[VideoRecord]:
        q = select(Video).order_by(Video.id).offset(offset).limit(limit)
        if status is not None:
            q = q.where(Video.status == status)
        with Session(self.engine) as s:
            return [_record(v) for v in s.scalars(q)]

    def count_videos(self, status: str | None = None) -> int:
        q = select(func.count(Video.id))
        if status is not None:
            q = q.where(Video.status == status)
        with Session(self.engine) as s:
            return int(s.scalar(q) or 0)

    def count_frames(self) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count(Frame.id))) or 0)

    def count_segments(self) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count(Segment.id))) or 0)

    def segments(self, video_id: int) -> list[SegmentRecord]:
        self.video(video_id)
        q = (
            select(Segment.id, Segment.video_id, Segment.start, Segment.end, Segment.n_frames)
            .where(Segment.video_id == video_id)
            .order_by(Segment.start, Segment.id)
        )
        with Session(self.engine) as s:
            return [SegmentRecord(*row) for row in s.execute(q)]

    def segment(self, segment_id: int) -> SegmentRecord | None:
        q = select(
            Segment.id, Segment.video_id, Segment.start, Segment.end, Segment.n_frames
        ).where(Segment.id == segment_id)
        with Session(self.engine) as s:
            row = s.execute(q).first()
        return SegmentRecord(*row) if row else None

    def frames(self, video_id: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
        self.video(video_id)
        q = select(Frame.t, Frame.vector).where(Frame.video_id == video_id).order_by(Frame.t)
        with Session(self.engine) as s:
            rows = s.execute(q).all()
        times = np.array([r[0] for r in rows], dtype=np.float64)
        vectors = _stack([r[1] for r in rows], dim)
        return times, vectors

    def video_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        q = (
            select(Video.id, Video.vector)
            .where(Video.status == "indexed", Video.vector.is_not(None))
            .order_by(Video.id)
        )
        with Session(self.engine) as s:
            rows = s.execute(q).all()
        return np.array([r[0] for r in rows], dtype=np.int64), _stack([r[1] for r in rows], dim)

    def segment_fingerprint(self) -> tuple[int, int, int]:
        """(count, max id, sum of ids) of all segments: a cheap test for "has the set of
        segment ids changed?" (ids are never reused, so adding always raises the max)."""
        q = select(func.count(Segment.id), func.max(Segment.id), func.sum(Segment.id))
        with Session(self.engine) as s:
            count, top, total = s.execute(q).one()
        return int(count or 0), int(top if top is not None else -1), int(total or 0)

    def segment_table(self) -> SegmentTable:
        q = select(Segment.id, Segment.video_id, Segment.start, Segment.end).order_by(Segment.id)
        with Session(self.engine) as s:
            rows = s.execute(q).all()
        cols = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
        return SegmentTable(
            ids=np.array(cols[0], dtype=np.int64),
            video_ids=np.array(cols[1], dtype=np.int64),
            starts=np.array(cols[2], dtype=np.float64),
            ends=np.array(cols[3], dtype=np.float64),
        )

    def segment_vectors(
        self, dim: int, ids: Collection[int] | None = None, batch: int = 4096
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (ids, vectors) batches of stored segment vectors, by ascending id."""
        if ids is not None:
            wanted = sorted(int(i) for i in ids)
            for i in range(0, len(wanted), _CHUNK):
                q = select(Segment.id, Segment.vector).where(Segment.id.in_(wanted[i : i + _CHUNK]))
                yield self._batch(q.order_by(Segment.id), dim)
            return
        last = -1
        while True:
            q = select(Segment.id, Segment.vector).where(Segment.id > last)
            got_ids, vecs = self._batch(q.order_by(Segment.id).limit(batch), dim)
            if not len(got_ids):
                return
            yield got_ids, vecs
            last = int(got_ids[-1])

    def _batch(self, q: object, dim: int) -> tuple[np.ndarray, np.ndarray]:
        with Session(self.engine) as s:
            rows = s.execute(q).all()  # type: ignore[call-overload]
        return np.array([r[0] for r in rows], dtype=np.int64), _stack([r[1] for r in rows], dim)

    def size_bytes(self) -> int:
        """Bytes on disk: SQLite database + WAL, or the PostgreSQL database; 0 if unknown."""
        url = make_url(self.url)
        if self.engine.dialect.name == "postgresql":
            q = "SELECT pg_database_size(current_database())"
            with self.engine.connect() as conn:
                return int(conn.exec_driver_sql(q).scalar() or 0)
        if url.get_backend_name() != "sqlite" or not url.database:
            return 0
        path = url.database.removeprefix("file:").split("?")[0]
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(path + suffix)
            except OSError:
                pass
        return total


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (code-point order);
    None when there is none (``prefix`` is all U+10FFFF)."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if code <= 0x10FFFF:
            if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored: skip past them
                code = 0xE000
            return "".join(chars) + chr(code)
    return None


def _stack(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    out = np.frombuffer(b"".join(blobs), dtype=_F32).reshape(len(blobs), -1)
    if out.shape[1] != dim:
        raise CatalogError(f"stored vectors have dimension {out.shape[1]}, expected {dim}")
    return out.astype(np.float32)


def _delete_path(s: Session, path: str) -> np.ndarray:
    old = s.scalar(select(Video.id).where(Video.path == path))
    if old is None:
        return np.zeros(0, dtype=np.int64)
    removed = _delete_ids(s, old)
    s.flush()
    return removed


def _delete_ids(s: Session, video_id: int) -> np.ndarray:
    seg_ids = s.scalars(select(Segment.id).where(Segment.video_id == video_id)).all()
    # Explicit deletes: correct even on a connection where foreign-key cascades are off.
    s.execute(delete(Segment).where(Segment.video_id == video_id))
    s.execute(delete(Frame).where(Frame.video_id == video_id))
    s.execute(delete(TextSpanRow).where(TextSpanRow.video_id == video_id))
    s.execute(delete(EvidenceRun).where(EvidenceRun.video_id == video_id))
    s.execute(delete(Video).where(Video.id == video_id))
    return np.array(sorted(seg_ids), dtype=np.int64)


def _validate(commit: VideoCommit, dim: int) -> None:
    n = len(commit.frame_times)
    fv = np.asarray(commit.frame_vectors)
    if fv.shape != (n, dim) and not (n == 0 and fv.size == 0):
        raise ValueError(f"frame_vectors has shape {fv.shape}, expected ({n}, {dim})")
    if np.asarray(commit.video_vector).shape != (dim,):
        raise ValueError(f"video_vector must have shape ({dim},)")
    for seg in commit.segments:
        v = np.asarray(seg.vector)
        if v.shape != (dim,) or not np.all(np.isfinite(v)):
            raise ValueError(f"segment vector must be finite with shape ({dim},)")


def _check_kind(kind: str) -> None:
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"unknown kind of evidence {kind!r}; known: {', '.join(EVIDENCE_KINDS)}")


def _span_row(video_id: int, kind: str, span: TextSpan) -> dict[str, object]:
    if span.kind != kind:
        raise ValueError(f"a {span.kind!r} span among {kind!r} spans")
    start, end = float(span.start), float(span.end)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
        raise ValueError(f"a text span needs 0 <= start <= end, got {start}..{end}")
    words = None
    if span.words is not None:
        words = json.dumps([[float(a), float(b), str(w)] for a, b, w in span.words])
    return {
        "video_id": video_id,
        "kind": kind,
        "start": start,
        "end": end,
        "text": span.text,
        "language": span.language,
        "source": span.source,
        "words": words,
    }


def _span(r: TextSpanRow) -> TextSpan:
    words = None
    if r.words is not None:
        words = [(float(a), float(b), str(w)) for a, b, w in json.loads(r.words)]
    return TextSpan(
        kind=r.kind,
        start=r.start,
        end=r.end,
        text=r.text,
        language=r.language,
        source=r.source,
        words=words,
        video_id=r.video_id,
        id=r.id,
    )


def _set_run(
    s: Session, video_id: int, kind: str, status: str, error: str | None, model: str | None
) -> None:
    # delete + insert: the same upsert on every backend, inside the caller's transaction
    s.execute(delete(EvidenceRun).where(EvidenceRun.video_id == video_id, EvidenceRun.kind == kind))
    s.execute(
        insert(EvidenceRun).values(
            video_id=video_id,
            kind=kind,
            status=status,
            error=error,
            model=model,
            updated=time.time(),
        )
    )
