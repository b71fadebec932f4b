"""Which paths ``POST /index`` may read: only files and folders inside configured media roots."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path, PurePath

from vidseek.api.errors import ApiError
from vidseek.indexer.discover import discover


def check_index_path(raw: str, roots: Sequence[Path]) -> Path:
    """The resolved path of ``raw`` if it lies inside a root; a 400/403/404 ``ApiError`` if not.

    Refused: ``..`` components, NUL bytes, absolute paths outside every root, and paths whose
    symlinks resolve outside every root. Relative paths are taken relative to the first root.
    """
    if not roots:
        raise ApiError(
            403,
            "indexing over HTTP is disabled: start the server with --media-root DIR",
            "indexing_disabled",
        )
    if not raw or "\x00" in raw or len(raw) > 4096:
        raise ApiError(400, "a path must be a non-empty string without NUL bytes", "bad_path")
    pure = PurePath(raw)
    if ".." in pure.parts:
        raise ApiError(400, f"'..' is not allowed in paths: {raw!r}", "bad_path")
    candidate = Path(os.path.abspath(Path(raw) if pure.is_absolute() else roots[0] / pure))
    # Outside the roots is one answer, whether or not the path exists there.
    outside = ApiError(403, f"{raw!r} is outside the media roots", "outside_media_roots")
    if not any(candidate.is_relative_to(root) for root in roots):
        raise outside
    try:
        resolved = candidate.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ApiError(404, f"no such file or folder: {raw!r}", "path_not_found") from exc
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # a name that long cannot exist
            raise ApiError(404, f"no such file or folder: {raw!r}", "path_not_found") from exc
        raise ApiError(400, f"cannot resolve {raw!r}", "bad_path") from exc
    except RuntimeError as exc:  # symlink loops
        raise ApiError(400, f"cannot resolve {raw!r}", "bad_path") from exc
    if not any(resolved.is_relative_to(root) for root in roots):
        raise outside
    if not (resolved.is_dir() or resolved.is_file()):  # a FIFO or device would block a reader
        raise ApiError(400, f"{raw!r} is neither a regular file nor a folder", "bad_path")
    return resolved


def files_to_index(paths: Sequence[Path], roots: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Video files under ``paths`` split into (inside the roots, escaping them).

    ``discover`` follows symlinked files, so each file's real path is checked again: a link
    inside a root that points out of every root is refused, never read.
    """
    inside, escaping = [], []
    for path in discover(list(paths)):
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            escaping.append(path)
            continue
        (inside if any(real.is_relative_to(r) for r in roots) else escaping).append(path)
    return inside, escaping
