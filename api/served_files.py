"""Opening a library's video file for a client, only if it is still the file that was indexed.

The catalog records each video's path and size. Between indexing and serving, the file at
that path can be swapped for a symlink to anything (``/etc/passwd``). So the file is opened
once, and the checks run on that open descriptor: a regular file, the size the catalog
recorded, and (when the server has media roots) a real location inside one of them. Whatever
fails is answered as a missing file (404), never as what it points to.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from vidseek.api.errors import ApiError

GONE = "the video file is missing on disk, or is no longer the file that was indexed"


def open_served_file(path: str | Path, size: int, roots: Sequence[Path]) -> tuple[int, Path]:
    """An open descriptor of ``path`` and its real location; a 404 ``ApiError`` otherwise.

    The caller owns the descriptor and closes it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ApiError(404, GONE, "file_missing") from exc
    try:
        info = os.fstat(fd)
        real = real_path(fd, path)
        inside = not roots or any(real.is_relative_to(root) for root in roots)
        if not stat.S_ISREG(info.st_mode) or info.st_size != size or not inside:
            raise ApiError(404, GONE, "file_missing")
    except BaseException:
        os.close(fd)
        raise
    return fd, real


def checked_path(path: str | Path, size: int, roots: Sequence[Path]) -> Path:
    """The real location of ``path`` after the same checks (for decoders that open by name)."""
    fd, real = open_served_file(path, size, roots)
    os.close(fd)
    return real


def real_path(fd: int, path: str | Path) -> Path:
    """Where an open descriptor really points (Linux: /proc; elsewhere resolve the name)."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return Path(os.path.realpath(path))
