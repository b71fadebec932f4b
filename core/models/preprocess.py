"""Batched image preprocessing on tensors, equivalent to open_clip's PIL eval transform.

open_clip's transform resizes one PIL image at a time; this does the same resize, crop and
normalisation for a whole uint8 batch at once (on the model's device), from the same
``preprocess_cfg`` dict open_clip attaches to the model, so the two cannot disagree.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF


class BatchPreprocess:
    """uint8 (B, H, W, 3) RGB → float (B, 3, h, w) normalised model input."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        size = cfg.get("size", 224)
        self.size: tuple[int, int] = (size, size) if isinstance(size, int) else tuple(size)[-2:]
        self.mean = tuple(float(m) for m in cfg.get("mean", (0.48145466, 0.4578275, 0.40821073)))
        self.std = tuple(float(s) for s in cfg.get("std", (0.26862954, 0.26130258, 0.27577711)))
        # open_clip maps anything but "bilinear" (incl. "random") to bicubic at eval time
        self.mode = "bilinear" if cfg.get("interpolation", "bicubic") == "bilinear" else "bicubic"
        self.resize_mode: str = cfg.get("resize_mode", "shortest")
        self.fill_color: int = int(cfg.get("fill_color", 0))
        if self.resize_mode not in ("shortest", "longest", "squash"):
            raise ValueError(f"unsupported resize_mode {self.resize_mode!r}")

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if batch.dtype != torch.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
            raise ValueError(f"expected uint8 (B, H, W, 3), got {batch.dtype} {tuple(batch.shape)}")
        x = self._resize_and_crop(batch.permute(0, 3, 1, 2))  # channels-last view: no copy
        x = x.float().div_(255.0)
        mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
        return x.sub_(mean).div_(std).contiguous()

    def _resize_and_crop(self, x: torch.Tensor) -> torch.Tensor:
        th, tw = self.size
        h, w = x.shape[-2:]
        if self.resize_mode == "squash":
            return _resize(x, (th, tw), self.mode)
        if self.resize_mode == "longest":  # open_clip: ResizeKeepRatio(longest=1) + CenterCropOrPad
            ratio = max(h / th, w / tw)
            x = _resize(x, (round(h / ratio), round(w / ratio)), self.mode)
            return _center_crop_or_pad(x, th, tw, self.fill_color)
        if th == tw:  # torchvision Resize(int): short edge to size, long edge truncated
            short, long = min(h, w), max(h, w)
            new_long = int(th * long / short)
            x = _resize(x, (th, new_long) if h <= w else (new_long, th), self.mode)
        else:  # open_clip uses ResizeKeepRatio with its default (bicubic) here
            ratio = min(h / th, w / tw)
            x = _resize(x, (round(h / ratio), round(w / ratio)), "bicubic")
        return TF.center_crop(x, [th, tw])


def _resize(
    x: torch.Tensor, size: tuple[int, int], mode: str, native_uint8: bool | None = None
) -> torch.Tensor:
    """Antialiased resize of uint8 images with PIL's results (±2 grey levels)."""
    if tuple(x.shape[-2:]) == size:
        return x  # PIL and torchvision leave same-size images alone too
    if native_uint8 is None:  # torch has uint8 kernels (several times faster than PIL) on CPU
        native_uint8 = x.device.type == "cpu"
    if native_uint8:
        return F.interpolate(x, size=size, mode=mode, antialias=True)
    # like PIL: horizontal pass, round to uint8, then vertical pass
    for step in ((x.shape[-2], size[1]), size):
        out = F.interpolate(x.float(), size=step, mode=mode, antialias=True)
        x = out.round_().clamp_(0, 255).to(torch.uint8)
    return x


def _center_crop_or_pad(x: torch.Tensor, th: int, tw: int, fill: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    if th > h or tw > w:
        pad_w, pad_h = max(tw - w, 0), max(th - h, 0)
        x = TF.pad(x, [pad_w // 2, pad_h // 2, (pad_w + 1) // 2, (pad_h + 1) // 2], fill=fill)
    return TF.center_crop(x, [th, tw])
