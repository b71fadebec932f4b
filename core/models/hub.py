"""Hugging Face Hub access: offline detection, cache look-ups, and errors that say what to do.

Without network, huggingface_hub retries for about a minute before giving up, so before any
download we check the cache and probe the hub once (a few seconds at most); when neither
helps we fail at once with ``WeightsUnavailable``.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from vidseek.core.errors import WeightsUnavailable
from vidseek.core.models.naming import ResolvedModel
from vidseek.core.models.presets import DEMO_MODEL

PROBE_TIMEOUT_S = 3.0
_TRUE = {"1", "on", "yes", "true"}


def offline_requested() -> bool:
    """True when ``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE`` is set (read now, not at import)."""
    from huggingface_hub import constants

    env = (os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or "").lower()
    return env in _TRUE or bool(constants.HF_HUB_OFFLINE)


def cache_dir() -> str | None:
    """Hub cache folder from ``HF_HUB_CACHE`` / ``HF_HOME`` as set now (None: library default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the hub endpoint opens within ``timeout`` seconds."""
    from huggingface_hub import constants

    url = urlparse(os.environ.get("HF_ENDPOINT") or constants.ENDPOINT)
    host, port = url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)
    result: list[bool] = []

    def probe() -> None:  # in a thread: getaddrinfo itself has no timeout
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def cached_tag_weights(arch: str, tag: str) -> str | None:
    """Path of the tag's weights in the local hub cache, or None."""
    import open_clip
    from huggingface_hub import try_to_load_from_cache

    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if cfg.get("file"):
        return cfg["file"]
    hub_id = cfg.get("hf_hub", "")
    if not hub_id:
        return None
    repo, filename = os.path.split(hub_id)
    filename = filename or "open_clip_pytorch_model.bin"
    names = [filename]
    if filename == "open_clip_pytorch_model.bin":
        names.insert(0, "open_clip_model.safetensors")
    elif filename.endswith((".bin", ".pth")):
        names.insert(0, filename[:-4] + ".safetensors")
    for name in names:
        found = try_to_load_from_cache(repo, name, cache_dir=cache_dir())
        if isinstance(found, str):
            return found
    return None


def how_to_provide(resolved: ResolvedModel) -> str:
    """The actionable part of every weights error."""
    arch = resolved.name if resolved.kind in ("tag", "file") else "NAME"
    return (
        "To provide weights: pass a local checkpoint "
        f"({arch}:/path/to/open_clip_pytorch_model.bin or .safetensors), "
        "or a model folder (local-dir:/path with open_clip_config.json and weights), "
        "or pre-populate the Hugging Face cache on a machine with network "
        "(`huggingface-cli download REPO`, then copy the cache and point HF_HOME at it) "
        "and set HF_HUB_OFFLINE=1, "
        f"or use the bundled offline model `{DEMO_MODEL}`."
    )


def unavailable(resolved: ResolvedModel, reason: str) -> WeightsUnavailable:
    return WeightsUnavailable(
        f"weights for {resolved.label} unavailable: {reason}. {how_to_provide(resolved)}"
    )


def check_before_loading(resolved: ResolvedModel) -> bool:
    """Fail fast when hub files are needed but cannot come; return whether to stay offline."""
    if not resolved.needs_hub:
        return False
    cached = resolved.kind == "tag" and cached_tag_weights(resolved.name, resolved.weights or "")
    if offline_requested():
        if resolved.kind == "tag" and not cached:
            raise unavailable(resolved, "HF_HUB_OFFLINE is set and they are not in the local cache")
        return True
    if hub_reachable():
        return False
    if resolved.kind == "tag" and not cached:
        raise unavailable(resolved, "the Hugging Face Hub cannot be reached (no network?)")
    return True  # the cache may have what is needed; let the hub library use only that


@contextmanager
def hub_offline(offline: bool) -> Iterator[None]:
    """Make huggingface_hub skip the network (it reads HF_HUB_OFFLINE only at import)."""
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = before or offline
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before
