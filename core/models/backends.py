"""Which engine runs the image tower: torch (the reference), OpenVINO or ONNX Runtime.

``auto`` picks the fastest installed accelerated backend on CPU (bench/encode.py: OpenVINO,
then ONNX Runtime) and torch on GPUs. Both run the image tower exported from the same torch
model; each new session is checked against torch (cosine ≥ ``MIN_COSINE``) so vectors stay
comparable with libraries indexed by torch. Query texts have their own exported tower
(``text_encoder``). Importing this module imports no torch: ``BACKENDS`` feeds the CLI's choices.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from vidseek.core.errors import ModelError

if TYPE_CHECKING:  # neither numpy nor torch at import: the CLI reads BACKENDS for --help
    import numpy as np

    from vidseek.core.models.encoder import ClipEncoder

    ImageRunner = Callable[[np.ndarray], np.ndarray]

ENV = "VIDSEEK_ENCODER_BACKEND"
ACCELERATED = ("openvino", "onnxruntime")  # fastest first on CPU
BACKENDS = ("auto", "torch", *ACCELERATED)
MIN_COSINE = 0.999

logger = logging.getLogger(__name__)


def requested(backend: str | None = None) -> str:
    """The backend asked for: ``backend``, else ``$VIDSEEK_ENCODER_BACKEND``, else ``auto``."""
    name = (backend or os.environ.get(ENV) or "auto").strip().lower()
    if name not in BACKENDS:
        raise ModelError(f"unknown encoder backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    return name


def installed() -> list[str]:
    """Accelerated backends whose package is importable, fastest first."""
    return [name for name in ACCELERATED if _available(name)]


def _available(name: str) -> bool:
    # the exporter writes the graph with the onnx package
    return all(importlib.util.find_spec(pkg) is not None for pkg in (name, "onnx"))


def choose(request: str, device: str) -> str:
    """The backend ``request`` means on ``device``."""
    if request != "auto":
        return request
    if not device.startswith("cpu"):
        return "torch"
    return next(iter(installed()), "torch")


def attach(encoder: ClipEncoder, request: str) -> None:
    """Give ``encoder`` the image runner of ``request`` (``auto``: torch if that fails)."""
    name = choose(request, encoder.device)
    encoder.image_runner, encoder.backend = None, "torch"
    if name == "torch":
        return
    try:
        runner = _runner(name, encoder)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if request != "auto":
            if isinstance(exc, ModelError):
                raise
            raise ModelError(f"encoder backend {name!r} failed: {reason}") from exc
        logger.warning("encoder backend %s failed (%s); using torch", name, reason)
        return
    encoder.image_runner, encoder.backend = runner, name


def _runner(name: str, encoder: ClipEncoder) -> ImageRunner:
    from vidseek.core.models import export

    if not encoder.device.startswith("cpu"):
        raise ModelError(f"encoder backend {name!r} runs on CPU only; use device 'cpu' or torch")
    if not _available(name):
        raise ModelError(
            f"encoder backend {name!r} is not installed: pip install 'vidseek[fast]', "
            "or use backend 'auto' or 'torch'"
        )
    size = encoder.preprocess.size
    path, exported = export.cached_visual(encoder.model, size)
    try:
        return _checked(name, path, encoder)
    except Exception as exc:
        if exported:
            raise
        logger.warning("cached export %s is unusable (%s); exporting again", path, exc)
        path, _ = export.cached_visual(encoder.model, size, fresh=True)
        return _checked(name, path, encoder)


def _checked(name: str, path: Path, encoder: ClipEncoder) -> ImageRunner:
    """The first runner of ``name`` (fastest precision first) that agrees with torch."""
    import torch

    seeded = torch.Generator().manual_seed(0)  # leaves the caller's RNG alone
    pixels = torch.randn((2, 3, *encoder.preprocess.size), generator=seeded)
    with torch.inference_mode():
        expected = torch.nn.functional.normalize(encoder.model.encode_image(pixels), dim=-1)
    cosines = []
    for runner in _open(name, path, torch.get_num_threads()):
        got = torch.nn.functional.normalize(torch.from_numpy(runner(pixels.numpy())), dim=-1)
        cosines.append(float((expected * got).sum(dim=-1).min()))
        if cosines[-1] >= MIN_COSINE:
            return runner
    found = ", ".join(f"{c:.4f}" for c in cosines)
    raise ModelError(f"{name} disagrees with torch (cosine {found} < {MIN_COSINE})")


def _open(name: str, path: Path, threads: int) -> Iterator[ImageRunner]:
    if name == "openvino":
        from vidseek.core.models.openvino_backend import OpenVinoImages, precisions

        for precision in precisions():
            yield OpenVinoImages(path, threads, precision)
        return
    from vidseek.core.models.onnx_backend import OnnxRuntimeImages

    yield OnnxRuntimeImages(path, threads)
