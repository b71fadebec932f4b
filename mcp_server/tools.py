"""What the MCP tools do, over one ``Session``: plain Python, JSON-ready dicts out.

``server.py`` registers these methods as tools; keeping them here, apart from the SDK, keeps
each tool's behaviour testable without a protocol in between.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vidseek.core.errors import QueryError
from vidseek.search.filters import absolute_prefix
from vidseek.search.fusion import parse_modalities
from vidseek.session import Session

THUMBNAIL_SHORT_SIDE = 256
MAX_LIST = 1000


class LibraryTools:
    """The tools' behaviour: search, browse, thumbnails and (when allowed) indexing."""

    def __init__(self, session: Session, *, allow_indexing: bool = False) -> None:
        self.session = session
        self.allow_indexing = allow_indexing
        self._frames: Any = None  # FramePool, started on the first thumbnail

    def search_moments(
        self,
        text: str | None = None,
        image_path: str | None = None,
        image_base64: str | None = None,
        k: int = 10,
        per_video: int | None = None,
        path_prefix: list[str] | None = None,
        video_ids: list[int] | None = None,
        min_score: float | None = None,
        collapse_duplicates: bool = False,
        modalities: list[str] | None = None,
        min_confidence: float | None = None,
        *,
        then: str | None = None,
        max_gap: float | None = None,
        not_texts: list[str] | None = None,
        text_weight: float | None = None,
        **video_filters: Any,
    ) -> dict[str, Any]:
        images = [q for q in (image_path, image_base64) if q]
        if len(images) > 1 or not (text or images):
            raise QueryError("give a text, or exactly one of image_path, image_base64 (and a text)")
        if then is not None and (images or not text):
            raise QueryError("then follows a text query, not an image")
        if max_gap is not None and then is None:
            raise QueryError("max_gap is the gap of then: give then too")
        if text_weight is not None and not (images and text):
            raise QueryError("text_weight weighs a text that moves an image query")
        filters: dict[str, Any] = {"per_video": per_video, "min_score": min_score}
        filters.update(_video_filters(video_filters))
        negatives = tuple(not_texts or ())
        filters["collapse_duplicates"] = collapse_duplicates
        evidence = parse_modalities(modalities)
        if evidence is not None:
            if images and evidence != ("visual",):
                raise QueryError("an image query searches what is seen only")
            if not images:
                filters["modalities"] = evidence
        if path_prefix:
            filters["path_prefixes"] = tuple(absolute_prefix(p) for p in path_prefix)
        if video_ids:
            filters["video_ids"] = tuple(video_ids)
        no_match = None
        if then is not None and text:
            clips = self.session.search(
                text, k=k, then=then, max_gap=max_gap, not_texts=negatives, **filters
            )
            query: dict[str, Any] = {"text": text, "then": then}
        elif text and not images:
            judged = self.session.search_judged(
                text, k=k, min_confidence=min_confidence, not_texts=negatives, **filters
            )
            clips, no_match = judged.clips, judged.no_match
            query = {"text": text}
        else:
            image: Any = image_path
            if image_base64:
                from vidseek.mcp.images import decode_base64_image

                image = decode_base64_image(image_base64)
            else:
                image = os.path.expanduser(image_path or "")
                if not Path(image).is_file():
                    raise QueryError(f"no such image file: {image_path}")
            clips = self.session.search_image(
                image, k=k, text=text, text_weight=text_weight, not_texts=negatives, **filters
            )
            query = {"image_path": image_path} if image_path else {"image": "base64"}
            if text:
                query["text"] = text
        out = {"query": query, "results": [c.to_json() for c in clips]}
        out["no_match"] = no_match.to_json() if no_match is not None else None
        return out

    VIDEO_FILTERS = (
        "min_duration", "max_duration", "min_width", "max_width", "min_height", "max_height",
        "modified_after", "modified_before", "created_after", "created_before", "language",
        "has_speech", "has_subtitles",
    )  # fmt: skip

    def similar_moments(
        self,
        video_id: int,
        start: float | None = None,
        end: float | None = None,
        k: int = 10,
        per_video: int | None = None,
        include_source: bool = False,
    ) -> dict[str, Any]:
        clips = self.session.similar(
            video_id, start, end, k=k, include_source=include_source, per_video=per_video
        )
        source = {"video_id": video_id, "start": start, "end": end}
        return {"source": source, "results": [c.to_json() for c in clips]}

    def video_info(self, video_id: int) -> dict[str, Any]:
        library = self.session.library()
        record = library.video(video_id)
        segments = [
            {"start": round(s.start, 3), "end": round(s.end, 3)} for s in library.segments(video_id)
        ]
        evidence = {k: v.to_json() for k, v in library.catalog.evidence_status(video_id).items()}
        return {**_video_json(record), "segments": segments, "evidence": evidence}

    def list_videos(
        self, offset: int = 0, limit: int = 100, status: str = "indexed"
    ) -> dict[str, Any]:
        if not 1 <= limit <= MAX_LIST or offset < 0:
            raise QueryError(f"limit must be 1..{MAX_LIST} and offset >= 0")
        if status not in ("indexed", "failed"):
            raise QueryError('status is "indexed" or "failed"')
        library = self.session.library()
        records = library.videos(status=status, limit=limit, offset=offset)
        total = library.count_videos(status)
        next_offset = offset + len(records) if offset + len(records) < total else None
        return {
            "total": total,
            "offset": offset,
            "next_offset": next_offset,
            "videos": [_video_json(r) for r in records],
        }

    def moment_thumbnail(self, video_id: int, start: float, end: float | None = None) -> bytes:
        """JPEG of the frame in the middle of ``start``..``end`` (at ``start`` without end)."""
        if start < 0 or (end is not None and end < start):
            raise QueryError("need 0 <= start <= end")
        record = self.session.library().video(video_id)
        at = start if end is None else (start + end) / 2
        if record.duration:
            at = min(at, record.duration)
        batch = self._frame_pool().frame_at(Path(record.path), at, THUMBNAIL_SHORT_SIDE)
        from vidseek.mcp.images import jpeg_bytes

        return jpeg_bytes(batch.images[0])

    def index_paths(self, paths: list[str], evidence: list[str] | None = None) -> dict[str, Any]:
        if not self.allow_indexing:
            raise QueryError("indexing is off: start the server with --allow-indexing")
        report = self.session.index(paths, evidence=evidence)
        return {
            "seconds": round(report.seconds, 3),
            "files": [
                {
                    "path": str(o.path),
                    "status": o.status,
                    "video_id": o.video_id,
                    "reason": o.reason or None,
                }  # fmt: skip
                for o in report.outcomes
            ],
        }

    def close(self) -> None:
        if self._frames is not None:
            self._frames.close()
            self._frames = None

    def _frame_pool(self) -> Any:
        if self._frames is None:
            from vidseek.indexer.thumbnail import FramePool

            self._frames = FramePool(workers=1)
        return self._frames


def _video_json(record: Any) -> dict[str, Any]:
    return {
        "video_id": record.id,
        "path": record.path,
        "status": record.status,
        "duration": record.duration,
        "fps": record.fps,
        "width": record.width,
        "height": record.height,
        "frames": record.n_frames,
        "segments_count": record.n_segments,
        "error": record.error,
    }


def _video_filters(given: dict[str, Any]) -> dict[str, Any]:
    """The tool's filter arguments as ``Session.search`` keywords (``language`` is
    ``languages`` there); unknown names are an error, not silently ignored."""
    unknown = set(given) - set(LibraryTools.VIDEO_FILTERS)
    if unknown:
        raise QueryError(f"unknown filters: {', '.join(sorted(unknown))}")
    out = {name: value for name, value in given.items() if value is not None}
    if "language" in out:
        out["languages"] = tuple(out.pop("language"))
    return out
