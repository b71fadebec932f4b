"""What a command-line user can do about an error: core messages are neutral (they name no
flag), so the CLI adds the flag or command that fixes it here."""

from __future__ import annotations

from vidseek.core.errors import (
    CatalogError,
    IndexCorrupt,
    ModelMismatch,
    StorageFull,
    VideoNotFound,
)


def hint_for(exc: BaseException) -> str | None:
    """One line telling a CLI user how to get past ``exc``; None when there is nothing to add."""
    if isinstance(exc, ModelMismatch) and exc.same_name:
        return (
            f"this library was built with other weights named {exc.library_model}; "
            "index the videos again into a new --library folder"
        )
    if isinstance(exc, ModelMismatch) and exc.library_model and exc.requested_model:
        return (
            f"use --model {exc.library_model} with this library, "
            f"or a new --library folder for {exc.requested_model}"
        )
    if isinstance(exc, IndexCorrupt):
        return "`vidseek check --repair` rebuilds the vector index from the catalog"
    if isinstance(exc, VideoNotFound):
        return "`vidseek videos list` shows the ids"
    if isinstance(exc, StorageFull):
        return "free some disk space and run the command again: what was committed is kept"
    if isinstance(exc, CatalogError) and "damaged" in str(exc):
        return (
            "restore catalog.sqlite from a backup (the vector index is rebuilt from it), or "
            "index the videos again into a new --library folder; see docs/SCALING.md"
        )
    return None
