"""``ClipEncoder``: an open_clip model, tokenizer and preprocessing behind the Encoder seam."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import torch

from vidseek.core.models.preprocess import BatchPreprocess
from vidseek.core.models.query_length import check_open_clip
from vidseek.core.types import ModelIdentity


class ClipEncoder:
    """Implements ``search.types.Encoder``: unit-norm float32 rows for images and texts."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Callable[[list[str]], torch.Tensor],
        identity: ModelIdentity,
        *,
        device: str,
        batch_size: int = 64,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.identity = identity
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.preprocess_cfg: dict[str, Any] = dict(model.visual.preprocess_cfg)
        self.preprocess = BatchPreprocess(self.preprocess_cfg)
        self.half = device.startswith("cuda")  # float16 autocast (CUDA only); False: float32
        # set by search.models.backends: what runs the image tower (texts always run on torch)
        self.backend = "torch"
        self.image_runner: Callable[[np.ndarray], np.ndarray] | None = None

    def __repr__(self) -> str:
        ident = self.identity
        precision = getattr(self.image_runner, "precision", None)
        return (
            f"ClipEncoder({ident.label!r}, dim={ident.dim}, device={self.device!r}, "
            f"backend={self.backend!r}" + (f", precision={precision!r})" if precision else ")")
        )

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 (H, W, 3) arrays of any sizes → float32 (n, dim), unit rows."""
        out = [self._encode_image_batch(images[i : i + self.batch_size])
               for i in range(0, len(images), self.batch_size)]  # fmt: skip
        return _stack(out, self.identity.dim)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts → float32 (n, dim), unit rows."""
        texts = [str(t) for t in texts]
        check_open_clip(self.tokenizer, texts)  # warns about queries cut to the context
        out = []
        for i in range(0, len(texts), self.batch_size):
            tokens = self.tokenizer(texts[i : i + self.batch_size]).to(self.device)
            with torch.inference_mode(), self._autocast():
                out.append(_unit_rows(self.model.encode_text(tokens)))
        return _stack(out, self.identity.dim)

    def preprocess_images(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """The model input for ``images``: float (n, 3, h, w) on the encoder's device.

        Frames of one size are resized together; mixed sizes are grouped by shape.
        """
        arrays = [_as_rgb(img) for img in images]
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, arr in enumerate(arrays):
            groups.setdefault(arr.shape, []).append(i)
        h, w = self.preprocess.size
        batch = torch.empty((len(arrays), 3, h, w), device=self.device)
        for idx in groups.values():
            stacked = torch.from_numpy(np.stack([arrays[i] for i in idx])).to(self.device)
            batch[idx] = self.preprocess(stacked)
        return batch

    def _encode_image_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        pixels = self.preprocess_images(images)
        if self.image_runner is not None:
            return _unit_rows(torch.from_numpy(self.image_runner(pixels.numpy())))
        with torch.inference_mode(), self._autocast():
            return _unit_rows(self.model.encode_image(pixels))

    def _autocast(self):
        if self.half and self.device.startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.float16)
        return nullcontext()


def _as_rgb(img: np.ndarray) -> np.ndarray:
    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        raise ValueError(f"images must be uint8 RGB arrays, got dtype {arr.dtype}")
    if arr.ndim == 2:  # greyscale
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:  # drop alpha
        arr = arr[:, :, :3]
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"images must have shape (H, W, 3), got {arr.shape}")
    return np.ascontiguousarray(arr)


def _unit_rows(x: torch.Tensor) -> np.ndarray:
    x = torch.nn.functional.normalize(x.float(), dim=-1)
    return x.cpu().numpy().astype(np.float32, copy=False)


def _stack(parts: list[np.ndarray], dim: int) -> np.ndarray:
    if not parts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(parts, axis=0), dtype=np.float32)
