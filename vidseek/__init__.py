"""vidseek: self-hosted text-to-video search.

The Python API is small::

    import vidseek

    with vidseek.open_library("my-library") as library:     # model: vidseek-demo by default
        report = library.index(["~/Videos"])                 # incremental, by content hash
        for clip in library.search("a red circle", k=5):     # any language the model reads
            print(clip.video_id, clip.path, clip.start, clip.end, clip.score)

``open_library`` returns a ``Session``: one library bound to one model. Results are ``Clip``
values. ``list_presets()`` describes the recommended models (``Preset``: spec, size, cost,
published results with sources). Every error raised on purpose is a ``VidseekError`` (tree
in ``vidseek.core.errors``).
Names are loaded on first use, so ``import vidseek`` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "open_library": "vidseek.session",
    "Session": "vidseek.session",
    "Clip": "vidseek.core.types",
    "VideoRecord": "vidseek.core.types",
    "ModelIdentity": "vidseek.core.types",
    "IndexOptions": "vidseek.indexer.options",
    "IndexReport": "vidseek.indexer.pipeline",
    "SearchOptions": "vidseek.search.query",
    "DuplicateReport": "vidseek.search.duplicates",
    "VidseekError": "vidseek.core.errors",
    "ModelError": "vidseek.core.errors",
    "UnknownModel": "vidseek.core.errors",
    "WeightsUnavailable": "vidseek.core.errors",
    "ModelMismatch": "vidseek.core.errors",
    "LibraryError": "vidseek.core.errors",
    "CatalogError": "vidseek.core.errors",
    "IndexCorrupt": "vidseek.core.errors",
    "VideoNotFound": "vidseek.core.errors",
    "DecodeError": "vidseek.core.errors",
    "DecodeTimeout": "vidseek.core.errors",
    "QueryError": "vidseek.core.errors",
    "score": "vidseek.evaluation.scoring",
    "list_presets": "vidseek.core.models.presets",
    "Preset": "vidseek.core.models.presets",
    "frechet_clip_distance": "vidseek.evaluation.scoring",
}

__all__ = [
    "CatalogError",
    "Clip",
    "DecodeError",
    "DecodeTimeout",
    "DuplicateReport",
    "IndexCorrupt",
    "IndexOptions",
    "IndexReport",
    "LibraryError",
    "ModelError",
    "ModelIdentity",
    "ModelMismatch",
    "Preset",
    "QueryError",
    "SearchOptions",
    "Session",
    "UnknownModel",
    "VideoNotFound",
    "VideoRecord",
    "VidseekError",
    "WeightsUnavailable",
    "frechet_clip_distance",
    "list_presets",
    "open_library",
    "score",
]

if TYPE_CHECKING:
    from vidseek.core.errors import (
        CatalogError,
        DecodeError,
        DecodeTimeout,
        IndexCorrupt,
        LibraryError,
        ModelError,
        ModelMismatch,
        QueryError,
        UnknownModel,
        VideoNotFound,
        VidseekError,
        WeightsUnavailable,
    )
    from vidseek.core.models.presets import Preset, list_presets
    from vidseek.core.types import Clip, ModelIdentity, VideoRecord
    from vidseek.evaluation.scoring import frechet_clip_distance, score
    from vidseek.indexer.options import IndexOptions
    from vidseek.indexer.pipeline import IndexReport
    from vidseek.search.duplicates import DuplicateReport
    from vidseek.search.query import SearchOptions
    from vidseek.session import Session, open_library


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vidseek' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
