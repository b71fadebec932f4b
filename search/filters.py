"""Which videos a search may return: by id, and by path prefix (a catalog query, not a scan)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from vidseek.core.errors import QueryError
from vidseek.core.library import Library

MAX_PREFIX_CHARS = 4096


def normalize_prefix(prefix: str) -> str:
    """``prefix`` checked, with a run of trailing slashes cut to one (``/a/b//`` → ``/a/b/``).

    A prefix is a plain string: ``/a/b`` matches ``/a/bc/x.mp4`` too; ``/a/b/`` only what is
    inside the folder ``/a/b``. ``%`` and ``_`` are ordinary characters.
    """
    if not prefix:
        raise QueryError("a path prefix must not be empty")
    if len(prefix) > MAX_PREFIX_CHARS:
        raise QueryError(f"a path prefix is at most {MAX_PREFIX_CHARS} characters")
    stripped = prefix.rstrip("/")
    return stripped + "/" if stripped != prefix else prefix


def absolute_prefix(prefix: str) -> str:
    """A prefix typed by a local user, as the catalog stores paths (absolute); an existing
    folder gets a trailing separator, so ``holidays`` means the videos inside it, not
    ``holidays2/``."""
    expanded = os.path.expanduser(prefix)
    absolute = str(Path(expanded).absolute())
    if expanded.endswith(os.sep) or Path(absolute).is_dir():
        absolute = absolute.rstrip(os.sep) + os.sep
    return absolute


def videos_under(library: Library, prefixes: Iterable[str]) -> set[int]:
    """Ids of the videos whose path starts with any of ``prefixes`` (failed ones too: they
    have no vectors, so they add no results).

    Reads the catalog only (its own connection), so callers need not hold a lock that guards
    the library's vector index.
    """
    found: set[int] = set()
    for prefix in {normalize_prefix(p) for p in prefixes}:
        if "\0" in prefix:  # no file path holds one (and PostgreSQL text cannot)
            continue
        found.update(library.catalog.video_ids_under(prefix))
    return found


def allowed_videos(
    library: Library,
    video_ids: Iterable[int] | None,
    path_prefixes: Iterable[str] | None,
) -> tuple[int, ...] | None:
    """The video ids both filters allow (ascending; may be empty), or None when unfiltered."""
    if video_ids is None and path_prefixes is None:
        return None
    allowed = set(video_ids) if video_ids is not None else None
    if path_prefixes is not None:
        under = videos_under(library, path_prefixes)
        allowed = under if allowed is None else allowed & under
    return tuple(sorted(allowed))
