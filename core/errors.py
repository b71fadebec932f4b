"""The exception tree. Every error vidseek raises on purpose is a ``VidseekError``.

VidseekError
├── ModelError
│   ├── UnknownModel          name matches no preset, open_clip config or local file
│   └── WeightsUnavailable    weights could not be downloaded or read
├── ModelMismatch             library was built with another model
├── LibraryError
│   ├── CatalogError          catalog unreadable, or its schema is newer than this code
│   └── IndexCorrupt          vector index on disk is unreadable or disagrees with the catalog
├── VideoNotFound             no video with that id
├── DecodeError               a file could not be decoded (reason in the message)
│   └── DecodeTimeout         the decoder worker ran past its wall-clock limit
└── QueryError                empty/oversized query, bad image, bad options
"""

from __future__ import annotations


class VidseekError(Exception):
    """Base class of every error vidseek raises deliberately."""


class ModelError(VidseekError):
    """A model could not be resolved or loaded."""


class UnknownModel(ModelError):
    """The model name matches no preset, open_clip config, hf-hub id or local file."""


class WeightsUnavailable(ModelError):
    """Weights exist in principle but could not be fetched or read here."""


class ModelMismatch(VidseekError):
    """The library was built with a different model than the one asked for."""


class LibraryError(VidseekError):
    """The library on disk is unusable as it is."""


class CatalogError(LibraryError):
    """The catalog database is unreadable or from a newer vidseek."""


class IndexCorrupt(LibraryError):
    """The vector index on disk is unreadable or disagrees with the catalog."""


class VideoNotFound(VidseekError):
    """No video with that id exists in the library."""


class DecodeError(VidseekError):
    """A file could not be decoded; the message says why, in words a user understands."""


class DecodeTimeout(DecodeError):
    """The decoder worker ran past its wall-clock limit and was killed."""


class QueryError(VidseekError):
    """The query (text, image or options) is not acceptable."""
