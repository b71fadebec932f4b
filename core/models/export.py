"""The image tower exported to ONNX, cached on disk for the accelerated backends.

The file is keyed by a digest of the tower's weights and architecture plus the exporter
setup, so a changed model or torch version never reuses a stale graph. Writers export to a
temporary file and rename it into place under a file lock: readers never see a partial
file, and parallel workers of one job export once and share the result.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import platformdirs
import torch
from filelock import FileLock

# Bump when the export below changes in a way that changes the graph.
EXPORT_FORMAT = "visual-onnx-1"
OPSET = 17
INPUT, OUTPUT = "pixels", "embedding"


def cache_root() -> Path:
    """``$VIDSEEK_CACHE_DIR``, else the user cache folder (e.g. ``~/.cache/vidseek``)."""
    env = os.environ.get("VIDSEEK_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("vidseek", appauthor=False))


def visual_digest(model: torch.nn.Module, size: tuple[int, int]) -> str:
    """sha256 of everything that decides the exported graph and its weights."""
    visual = model.visual
    digest = hashlib.sha256(
        f"{EXPORT_FORMAT}|opset {OPSET}|torch {torch.__version__}|{size}|{visual!r}".encode()
    )
    for name, tensor in sorted(visual.state_dict().items()):
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"|{name}{tuple(tensor.shape)}{tensor.dtype}|".encode())
        digest.update(memoryview(flat.view(torch.uint8).numpy()))
    return digest.hexdigest()


def cached_visual(
    model: torch.nn.Module, size: tuple[int, int], *, fresh: bool = False
) -> tuple[Path, bool]:
    """Path of the exported image tower and whether this call exported it.

    ``fresh`` replaces a cached file that turned out to be unreadable.
    """
    folder = cache_root() / "visual"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{visual_digest(model, size)[:32]}.onnx"
    with FileLock(f"{path}.lock", timeout=600):
        if path.is_file() and not fresh:
            return path, False
        for stale in folder.glob(f"{path.name}.*.tmp"):  # left by a killed writer; we hold the lock
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            _export(model, size, Path(tmp))
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shareable
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return path, True


class _ImageTower(torch.nn.Module):
    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(pixels)


def _export(model: torch.nn.Module, size: tuple[int, int], path: Path) -> None:
    # The TorchScript exporter: about 4 s for ViT-B-32 where the dynamo exporter takes 11 s,
    # and its graph ran no slower on either backend.
    example = torch.zeros((2, 3, *size), device=_device_of(model))
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # the fused attention kernel has no ONNX op
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _ImageTower(model).eval(),
                (example,),
                str(path),
                input_names=[INPUT],
                output_names=[OUTPUT],
                dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device
