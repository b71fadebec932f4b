"""Serve a file with HTTP Range support, so a <video> element can seek."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator, Sequence
from email.utils import formatdate
from pathlib import Path

from fastapi.responses import Response, StreamingResponse

from vidseek.api.errors import ApiError
from vidseek.api.served_files import open_served_file

CHUNK = 256 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".ogv": "video/ogg",
    ".ts": "video/mp2t",
}


def content_type(path: Path) -> str:
    return (
        _TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Inclusive (first, last) byte of a single ``bytes=`` range; None for "the whole file".

    As RFC 9110 allows, a header this server does not use is ignored (the whole file, 200):
    another unit, several ranges, a malformed or backwards range. Only a range that starts
    past the end (or asks for the last 0 bytes) is unsatisfiable: a 416 ``ApiError``.
    """
    match = _RANGE.match(header)
    if match is None or "," in header:
        return None
    first_s, last_s = match.groups()
    if not first_s and not last_s:
        return None
    unsatisfiable = ApiError(
        416,
        f"range {header[:100]!r} cannot be satisfied: the file has {size} bytes",
        headers={"Content-Range": f"bytes */{size}"},
    )
    if not first_s:  # suffix: the last N bytes
        length = _number(last_s)
        if length == 0 or size == 0:
            raise unsatisfiable
        return max(size - length, 0), size - 1
    first = _number(first_s)
    if last_s and _number(last_s) < first:
        return None
    if first >= size:
        raise unsatisfiable
    last = _number(last_s) if last_s else size - 1
    return first, min(last, size - 1)


def _number(digits: str) -> int:
    # int() refuses strings over 4300 digits; any offset past 2**63 is past every file's end.
    return int(digits) if len(digits) <= 18 else 10**18


def _read(fd: int, first: int, length: int) -> Iterator[bytes]:
    try:
        offset, left = first, length
        while left > 0:
            chunk = os.pread(fd, min(CHUNK, left), offset)
            if not chunk:
                return
            offset += len(chunk)
            left -= len(chunk)
            yield chunk
    finally:
        os.close(fd)


def file_response(
    path: Path, range_header: str | None, *, size: int, roots: Sequence[Path], head: bool = False
) -> Response:
    """The file (or the requested range of it), if it is still the file the catalog knows."""
    fd, real = open_served_file(path, size, roots)
    try:
        stat = os.fstat(fd)
        headers = {
            "Accept-Ranges": "bytes",
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
            "ETag": f'"{stat.st_mtime_ns:x}-{size:x}"',
            "Cache-Control": "private, max-age=0",
        }
        span = parse_range(range_header, size) if range_header else None
    except BaseException:
        os.close(fd)
        raise
    status = 200
    first, length = 0, size
    if span is not None:
        first, last = span
        length = last - first + 1
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(length)
    media_type = content_type(real)
    if head:
        os.close(fd)
        return Response(status_code=status, headers=headers, media_type=media_type)
    return StreamingResponse(
        _read(fd, first, length), status_code=status, headers=headers, media_type=media_type
    )
