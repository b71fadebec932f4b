"""The current catalog schema as typed SQLAlchemy declarative models.

Migrations (``migrations.py``) create and evolve the tables; these models are only used to
read and write them and must always describe the schema of the newest migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only autoincrements INTEGER PRIMARY KEY; elsewhere ids are 64-bit.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Meta(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse ids

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # unique, so indexed; PostgreSQL also has ix_videos_path_c (path COLLATE "C"), migration 3
    path: Mapped[str] = mapped_column(Text, unique=True)
    content_hash: Mapped[str] = mapped_column(String(128), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float | None] = mapped_column(Float, index=True)  # indexes: migration 8
    # the container's creation_time tag, Unix seconds (migration 7; NULL when unknown)
    creation_time: Mapped[float | None] = mapped_column(Float, index=True)
    duration: Mapped[float | None] = mapped_column(Float, index=True)
    fps: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer, index=True)
    height: Mapped[int | None] = mapped_column(Integer, index=True)
    codec: Mapped[str | None] = mapped_column(String(64))
    backend: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    n_frames: Mapped[int] = mapped_column(Integer, default=0)
    n_segments: Mapped[int] = mapped_column(Integer, default=0)
    indexed_at: Mapped[str | None] = mapped_column(String(32))
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)


class Frame(Base):
    __tablename__ = "frames"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    video_id: Mapped[int] = mapped_column(
        Id, ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    t: Mapped[float] = mapped_column(Float)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse ids

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    video_id: Mapped[int] = mapped_column(
        Id, ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    n_frames: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Claim(Base):
    """A lease: ``owner`` is embedding ``content_hash`` until ``expires_at`` (epoch seconds,
    database clock). See ``search/catalog/claims.py``."""

    __tablename__ = "claims"

    content_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    path: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class JobRow(Base):
    """An index job of ``vidseek serve``: its state and its last progress report as JSON.
    ``owner`` is ``host:pid`` of the server that ran it. See ``core/catalog/job_log.py``."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    document: Mapped[str] = mapped_column(Text)


class TextSpanRow(Base):
    """Words with times: ``kind`` is speech, subtitle or ocr; ``words`` is a JSON list of
    ``[start, end, word]`` (speech only). Written per (video, kind) by migration 5's
    ``Catalog.replace_text_spans``."""

    __tablename__ = "text_spans"
    __table_args__ = (
        # the speech/subtitle/language filters, answered from the index alone (migration 8)
        Index("ix_text_spans_kind_language_video", "kind", "language", "video_id"),
        {"sqlite_autoincrement": True},  # never reuse ids (derived text indexes)
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    video_id: Mapped[int] = mapped_column(
        Id, ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)
    words: Mapped[str | None] = mapped_column(Text)


class EvidenceRun(Base):
    """The last extraction of one kind of evidence for one video: ``done``, or ``failed``
    with ``error`` (a ``done`` run's ``error`` notes problems with part of the input);
    ``model`` names what extracted it; ``updated`` is epoch seconds."""

    __tablename__ = "evidence_runs"

    video_id: Mapped[int] = mapped_column(
        Id, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    updated: Mapped[float] = mapped_column(Float)
