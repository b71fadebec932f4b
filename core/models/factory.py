"""The one way to get an encoder: ``load_encoder(spec)``, loaded once per process."""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from vidseek.core.errors import ModelError, VidseekError, WeightsUnavailable
from vidseek.core.models import backends, hub
from vidseek.core.models.byte_tokenizer import ByteTokenizer
from vidseek.core.models.encoder import ClipEncoder
from vidseek.core.models.naming import ResolvedModel, resolve
from vidseek.core.models.presets import DEMO_MODEL, DEMO_WEIGHTS_NAME, PRESETS, demo_model_dir
from vidseek.core.types import ModelIdentity

_cache: dict[tuple[ResolvedModel, str, str, int], ClipEncoder] = {}
_lock = threading.Lock()


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_encoder(
    spec: str, *, device: str | None = None, batch_size: int = 64, backend: str | None = None
) -> ClipEncoder:
    """Resolve ``spec``, load the model (once per process and device) and return its encoder.

    ``backend`` runs the image tower: "auto" (default, or ``$VIDSEEK_ENCODER_BACKEND``),
    "torch", "openvino" or "onnxruntime" (see ``search.models.backends``).

    Raises ``UnknownModel`` for names that mean nothing, ``WeightsUnavailable`` when the
    weights cannot be fetched or read (with what to do about it), ``ModelError`` otherwise
    (also for an unknown backend, or an explicitly requested one that cannot run).
    """
    resolved = resolve(spec)
    device = device or default_device()
    batch_size = max(1, int(batch_size))
    request = backends.requested(backend)
    with _lock:
        key = (resolved, device, request, batch_size)
        if key not in _cache:
            encoder = _shared(key)
            encoder.batch_size = batch_size
            _cache[key] = encoder
        return _cache[key]


def _shared(key: tuple[ResolvedModel, str, str, int]) -> ClipEncoder:
    """A new encoder for ``key`` sharing the model (and runner) already loaded for it, if any."""
    same_backend = next((e for k, e in _cache.items() if k[:3] == key[:3]), None)
    if same_backend is not None:
        return copy.copy(same_backend)
    same_model = next((e for k, e in _cache.items() if k[:2] == key[:2]), None)
    encoder = copy.copy(same_model) if same_model else _build(*key[:2])
    backends.attach(encoder, key[2])
    return encoder


def clear_cache() -> None:
    """Forget every loaded model (tests; after replacing weights on disk)."""
    with _lock:
        _cache.clear()


def _build(resolved: ResolvedModel, device: str) -> ClipEncoder:
    import open_clip

    offline = hub.check_before_loading(resolved)
    try:
        with hub.hub_offline(offline), _quiet_open_clip(), torch.random.fork_rng(devices=[]):
            model = _create_model(open_clip, resolved)
            tokenizer = _tokenizer(open_clip, resolved)
    except VidseekError:
        raise
    except Exception as exc:
        if isinstance(exc, ImportError) or "pip install" in str(exc):
            raise ModelError(
                f"{resolved.label} needs a package that is not installed ({exc}); "
                "models with Hugging Face text towers need `pip install transformers`"
            ) from exc
        if resolved.needs_hub or resolved.kind in ("file", "local-dir"):
            raise hub.unavailable(resolved, f"{type(exc).__name__}: {exc}") from exc
        raise ModelError(f"could not build {resolved.label}: {exc}") from exc
    model = model.to(device).eval()
    return ClipEncoder(model, tokenizer, _identity(resolved, model, tokenizer), device=device)


def _create_model(open_clip, resolved: ResolvedModel) -> torch.nn.Module:
    no_towers = {"pretrained_image": False, "pretrained_text": False}  # never half-load bases
    if resolved.kind == "random":
        torch.manual_seed(0)  # inside fork_rng: same weights every time, caller's RNG untouched
        return open_clip.create_model(
            resolved.model_name, None, load_weights=False, cache_dir=hub.cache_dir(), **no_towers
        )
    if resolved.kind in ("file", "local-dir"):
        weights = _local_weights(resolved)
        model = open_clip.create_model(
            resolved.model_name, None, load_weights=False, cache_dir=hub.cache_dir(), **no_towers
        )
        open_clip.load_checkpoint(model, str(weights))
        return model
    pretrained = resolved.weights if resolved.kind == "tag" else None
    return open_clip.create_model(
        resolved.model_name, pretrained, cache_dir=hub.cache_dir(), require_pretrained=True
    )


def _local_weights(resolved: ResolvedModel) -> Path:
    path = Path(resolved.weights) if resolved.weights else None
    if path is not None and path.is_file():
        return path
    if resolved.name == DEMO_MODEL:
        raise WeightsUnavailable(
            "the bundled demo model has no weights yet: expected "
            f"{demo_model_dir() / DEMO_WEIGHTS_NAME}. "
            "Train them with `python scripts/train_demo_model.py`, point VIDSEEK_DEMO_MODEL_DIR "
            f"at a folder that has them, or use {DEMO_MODEL}:random (random init, for tests only)"
        )
    where = path or resolved.pretrained
    raise hub.unavailable(resolved, f"no weights file at {where}")


def _tokenizer(open_clip, resolved: ResolvedModel):
    if resolved.tokenizer == "bytes":
        return ByteTokenizer(resolved.context_length or 64)
    return open_clip.get_tokenizer(resolved.model_name, cache_dir=hub.cache_dir())


def _identity(resolved: ResolvedModel, model: torch.nn.Module, tokenizer) -> ModelIdentity:
    cfg = model.visual.preprocess_cfg
    size = cfg["size"]
    with torch.inference_mode():
        dim = int(model.encode_text(tokenizer(["a"]).to(_device_of(model))).shape[-1])
    weights = resolved.weights if resolved.kind in ("file", "local-dir") else None
    return ModelIdentity(
        name=resolved.name,
        pretrained=resolved.pretrained,
        dim=dim,
        image_size=int(size if isinstance(size, int) else max(size)),
        mean=tuple(float(m) for m in cfg["mean"]),
        std=tuple(float(s) for s in cfg["std"]),
        weights_sha256=sha256_file(Path(weights)) if weights else "",
    )


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _quiet_open_clip() -> Iterator[None]:
    """Hide open_clip's root-logger chatter (e.g. 'initialized randomly' before we load weights)."""
    root = logging.getLogger()

    def keep(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "open_clip" not in record.pathname

    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def describe_model(spec: str) -> str:
    """A few lines about what ``spec`` resolves to, without loading weights (for `vidseek info`)."""
    r = resolve(spec)
    lines = [f"model:      {r.label}"]
    if r.preset:
        lines.append(f"preset:     {r.preset} - {PRESETS[r.preset].description}")
    lines.append(f"source:     {_source(r)}")
    lines.append(f"tokenizer:  {'UTF-8 bytes' if r.tokenizer == 'bytes' else 'open_clip'}")
    return "\n".join(lines)


def _source(r: ResolvedModel) -> str:
    if r.kind == "random":
        return f"random init (seed 0) of {r.model_name}; for tests, retrieves nothing meaningful"
    if r.kind in ("file", "local-dir"):
        if r.weights:
            return f"local file {r.weights}"
        return f"local, weights MISSING ({r.pretrained})"
    if r.kind == "hf-hub":
        return f"Hugging Face Hub repo {r.pretrained}"
    cached = hub.cached_tag_weights(r.name, r.weights or "")
    if cached:
        return f"open_clip tag (cached at {cached})"
    return "open_clip tag (downloads on first use)"


__all__ = ["clear_cache", "default_device", "describe_model", "load_encoder"]
