"""Model layer: naming, presets, and the factories ``load_encoder(spec)`` (images and texts,
on torch) and ``load_text_encoder(spec)`` (query texts, torch-free once exported).

Names are imported on first use so that commands which encode nothing never import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DEMO_MODEL": "presets",
    "PRESETS": "presets",
    "Preset": "presets",
    "list_presets": "presets",
    "ResolvedModel": "naming",
    "resolve": "naming",
    "ClipEncoder": "encoder",
    "clear_cache": "factory",
    "describe_model": "factory",
    "load_encoder": "factory",
    "load_text_encoder": "text_encoder",
}

__all__ = [
    "DEMO_MODEL",
    "PRESETS",
    "ClipEncoder",
    "Preset",
    "ResolvedModel",
    "clear_cache",
    "describe_model",
    "list_presets",
    "load_encoder",
    "load_text_encoder",
    "resolve",
]

if TYPE_CHECKING:
    from vidseek.core.models.encoder import ClipEncoder
    from vidseek.core.models.factory import clear_cache, describe_model, load_encoder
    from vidseek.core.models.naming import ResolvedModel, resolve
    from vidseek.core.models.presets import DEMO_MODEL, PRESETS, Preset, list_presets
    from vidseek.core.models.text_encoder import load_text_encoder


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:  # also lets `from vidseek.core.models import export` find submodules
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
