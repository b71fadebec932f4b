"""The opaque URLs a client uses to reach media: files are never addressed by path."""

from __future__ import annotations


def stream_url(video_id: int, start: float | None = None) -> str:
    base = f"/videos/{video_id}/stream"
    return base if start is None else f"{base}#t={round(float(start), 3)}"


def thumbnail_url(segment_id: int) -> str:
    return f"/segments/{segment_id}/thumbnail"
