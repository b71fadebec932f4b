"""Finding video files under the paths a user names, and hashing their content."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

VIDEO_EXTENSIONS = frozenset("mp4 m4v mkv webm avi mov mpg mpeg ts m2ts wmv flv 3gp ogv".split())
_CHUNK = 1 << 20


def is_video_name(path: Path) -> bool:
    """True when the file name has a video extension (case-insensitive)."""
    return path.suffix.lower().lstrip(".") in VIDEO_EXTENSIONS


def _hidden(name: str) -> bool:
    return name.startswith(".")


def discover(paths: Sequence[Path]) -> list[Path]:
    """Video files named by ``paths`` (files or folders, searched recursively), sorted, unique.

    Files named explicitly are kept whatever their extension; inside folders only files
    with a video extension count, and hidden files and folders (``.name``) are skipped.
    Ground-truth ``<video>.json`` files never match a video extension. Symlinked folders
    are not followed (no cycles); symlinked files are. Raises ``FileNotFoundError``
    listing every path that does not exist.
    """
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            found.add(path.absolute())
            continue
        for folder, dirs, files in os.walk(path, onerror=None):
            dirs[:] = [d for d in dirs if not _hidden(d)]
            for name in files:
                candidate = Path(folder, name)
                if not _hidden(name) and is_video_name(candidate) and candidate.is_file():
                    found.add(candidate.absolute())
    return sorted(found)


def content_hash(path: Path) -> str:
    """SHA-256 hex digest of the file's bytes, read in 1 MiB chunks.

    Anything but a regular file (a FIFO, a device) is an ``OSError``, raised before a single
    byte is read: opening a FIFO for reading would otherwise block until a writer comes.
    """
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
