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


class Refused(Exception):
    """The opened file is not one to read: not a regular file, or outside the roots."""


def open_inside(path: str | Path, roots: Sequence[Path]) -> tuple[int, Path, os.stat_result]:
    """Open ``path`` once and check that descriptor: a regular file, really inside one of
    ``roots`` (any location when there are none). Returns the descriptor (the caller closes
    it), its real location and its stat; ``OSError`` when it cannot be opened, ``Refused``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        real = real_path(fd, path)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file")
        if roots and not any(real.is_relative_to(root) for root in roots):
            raise Refused("it resolves outside the media roots")
    except BaseException:
        os.close(fd)
        raise
    return fd, real, info


def open_served_file(path: str | Path, size: int, roots: Sequence[Path]) -> tuple[int, Path]:
    """An open descriptor of ``path`` and its real location; a 404 ``ApiError`` otherwise.

    The caller owns the descriptor and closes it."""
    try:
        fd, real, info = open_inside(path, roots)
    except (OSError, Refused) as exc:
        raise ApiError(404, GONE, "file_missing") from exc
    if info.st_size != size:
        os.close(fd)
        raise ApiError(404, GONE, "file_missing")
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
