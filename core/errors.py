"""The exception tree. Every error vidseek raises on purpose is a ``VidseekError``.

Messages are neutral: they say what is wrong in the library's terms and never name a command
line flag or an HTTP status. Errors a user can act on carry structured fields, so that each
front end adds its own hint (the CLI ``cli/hints.py``, the HTTP API ``api/errors.py``).

VidseekError                  anything vidseek raises deliberately; ``str(exc)`` is for users
├── ModelError                a model could not be resolved or loaded
│   ├── UnknownModel          the name matches no preset, open_clip config or local file
│   └── WeightsUnavailable    the weights could not be downloaded or read
├── ModelMismatch             the library holds vectors of another model than the one asked
│                             for (fields: library_model, requested_model, differences)
├── LibraryError              the library on disk is unusable as it is (or opened read-only)
│   ├── CatalogError          the catalog is damaged or unreadable, or its schema is newer
│   ├── StorageFull           no space left on the disk or database holding the library
│   └── IndexCorrupt          a vector index snapshot is unreadable or disagrees with its
│                             manifest (a library rebuilds it from the catalog on load)
├── VideoNotFound             no video with that id
├── DecodeError               a file could not be decoded (the reason is the message)
│   └── DecodeTimeout         the decoder worker ran past its wall-clock limit
├── EvidenceError             speech, subtitles or on-screen text could not be read from a
│   │                         file (recorded for that kind of evidence; the visual index stands)
│   └── SubtitleError         a subtitle file or stream is unreadable: binary data, not UTF-8,
│                             not a subtitle format, no cues
└── QueryError                the query is empty or too long, a bad image, or bad options
"""

from __future__ import annotations

from collections.abc import Sequence


class VidseekError(Exception):
    """Base class of every error vidseek raises deliberately."""


class ModelError(VidseekError):
    """A model could not be resolved or loaded."""


class UnknownModel(ModelError):
    """The model name matches no preset, open_clip config, hf-hub id or local file."""


class WeightsUnavailable(ModelError):
    """Weights exist in principle but could not be fetched or read here."""


class ModelMismatch(VidseekError):
    """Vectors of one model were about to meet another model's.

    ``library_model`` is the label of the model the library (or the reference side) was built
    with, ``requested_model`` the label of the one asked for, ``differences`` what differs
    (e.g. "dim 512 != 768"), ``library`` where the library is, if known. ``message``
    overrides the neutral sentence built from those fields."""

    def __init__(
        self,
        message: str | None = None,
        *,
        library_model: str | None = None,
        requested_model: str | None = None,
        differences: Sequence[str] = (),
        library: str | None = None,
    ) -> None:
        self.library_model = library_model
        self.requested_model = requested_model
        self.differences = tuple(differences)
        self.library = library
        super().__init__(message or self._describe())

    @property
    def same_name(self) -> bool:
        """Both sides carry one model name with other weights (e.g. a library of an older
        release of the bundled demo model): naming the library's model would not help."""
        return bool(self.library_model) and self.library_model == self.requested_model

    def _describe(self) -> str:
        where = f"the library at {self.library}" if self.library else "the library"
        text = f"{where} was built with model {self.library_model}, not {self.requested_model}"
        if self.differences:
            text += f" ({'; '.join(self.differences)})"
        return text


class LibraryError(VidseekError):
    """The library on disk is unusable as it is."""


class CatalogError(LibraryError):
    """The catalog database is unreadable or from a newer vidseek."""


class StorageFull(LibraryError):
    """The disk (or database) holding the library has no space left; nothing committed is lost."""


class IndexCorrupt(LibraryError):
    """A vector index snapshot is unreadable or disagrees with its manifest."""


class VideoNotFound(VidseekError):
    """No video with that id exists in the library."""


class DecodeError(VidseekError):
    """A file could not be decoded; the message says why, in words a user understands."""


class DecodeTimeout(DecodeError):
    """The decoder worker ran past its wall-clock limit and was killed."""


class EvidenceError(VidseekError):
    """Speech, subtitles or on-screen text could not be extracted from a file."""


class SubtitleError(EvidenceError):
    """A subtitle file or stream cannot be read; the message names it and says why."""


class QueryError(VidseekError):
    """The query (text, image or options) is not acceptable."""
