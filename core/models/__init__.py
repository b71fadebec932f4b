"""Model layer: naming, presets, and the one factory ``load_encoder(spec)``."""

from vidseek.core.models.encoder import ClipEncoder
from vidseek.core.models.factory import clear_cache, describe_model, load_encoder
from vidseek.core.models.naming import ResolvedModel, resolve
from vidseek.core.models.presets import DEMO_MODEL, PRESETS, Preset, list_presets

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
