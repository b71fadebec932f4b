"""Model layer: naming, presets, and the one factory ``load_encoder(spec)``."""

from search.models.encoder import ClipEncoder
from search.models.factory import clear_cache, describe_model, load_encoder
from search.models.naming import ResolvedModel, resolve
from search.models.presets import DEMO_MODEL, PRESETS, Preset, list_presets

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
    "resolve",
]
