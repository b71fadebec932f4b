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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:
    import torch

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
    import torch

    visual = model.visual
    header = f"{EXPORT_FORMAT}|opset {OPSET}|torch {torch.__version__}|{size}|{visual!r}"
    return module_digest(visual, header)


def module_digest(module: torch.nn.Module, header: str) -> str:
    """sha256 of ``header`` and every tensor of ``module``'s state (names, shapes, bytes)."""
    import torch

    digest = hashlib.sha256(header.encode())
    for name, tensor in sorted(module.state_dict().items()):
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
    name = f"{visual_digest(model, size)[:32]}.onnx"
    return cached_file(folder, name, lambda tmp: _export(model, size, tmp), fresh=fresh)


def cached_file(
    folder: Path, name: str, write: Callable[[Path], None], *, fresh: bool = False
) -> tuple[Path, bool]:
    """``folder/name``, written by ``write(tmp_path)`` unless it exists (or ``fresh``); and
    whether this call wrote it. Atomic and exclusive: a temp file renamed into place under a
    file lock, so readers never see a partial file and parallel callers write it once."""
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with FileLock(f"{path}.lock", timeout=600):
        if path.is_file() and not fresh:
            return path, False
        for stale in folder.glob(f"{path.name}.*.tmp"):  # left by a killed writer; we hold the lock
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            write(Path(tmp))
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shareable
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return path, True


def _export(model: torch.nn.Module, size: tuple[int, int], path: Path) -> None:
    import torch

    example = torch.zeros((2, 3, *size), device=_device_of(model))
    to_onnx(model, "encode_image", example, path, INPUT, OUTPUT)


def to_onnx(
    model: torch.nn.Module,
    method: str,
    example: torch.Tensor,
    path: Path,
    input_name: str,
    output_name: str,
) -> None:
    """Export ``model.<method>`` (one tensor in, one out; the batch axis dynamic) to ``path``."""
    import torch

    class _Tower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return getattr(self.model, method)(x)

    # The TorchScript exporter: about 4 s for ViT-B-32 where the dynamo exporter takes 11 s,
    # and its graph ran no slower on either backend.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # the fused attention kernel has no ONNX op
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Tower().eval(),
                (example,),
                str(path),
                input_names=[input_name],
                output_names=[output_name],
                dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device
