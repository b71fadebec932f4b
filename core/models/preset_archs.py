"""Build a preset's architecture with random weights and no download, and measure it.

open_clip builds the Hugging Face text towers (NLLB) from the tower's ``config.json`` on the
Hub, which an offline machine cannot fetch; ``HF_TEXT_CONFIGS`` records the fields of those
files that shape the tower, so ``build_random`` works anywhere. ``scripts/measure_presets.py``
stores what ``count_params`` and ``image_gflops`` say in ``presets.py``, and
tests/test_presets.py checks the stored numbers against a fresh build.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vidseek.core.models.presets import DEMO_MODEL, Preset, demo_model_dir

# The shape-defining fields of facebook/nllb-200-distilled-{600M,1.3B}/config.json on the Hub.
_NLLB = {
    "model_type": "m2m_100",
    "vocab_size": 256206,
    "d_model": 1024,
    "encoder_attention_heads": 16,
    "decoder_attention_heads": 16,
    "max_position_embeddings": 1024,
    "scale_embedding": True,
    "activation_function": "relu",
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "decoder_start_token_id": 2,
    "is_encoder_decoder": True,
}


def _layers(n: int, ffn: int) -> dict[str, int]:
    return {f"{side}_{key}": value for side in ("encoder", "decoder")
            for key, value in (("layers", n), ("ffn_dim", ffn))}  # fmt: skip


HF_TEXT_CONFIGS: dict[str, dict[str, Any]] = {
    "facebook/nllb-200-distilled-600M": _NLLB | _layers(12, 4096),
    "facebook/nllb-200-distilled-1.3B": _NLLB | _layers(24, 8192),
}


def architecture(preset: Preset) -> str:
    """The open_clip model name a preset builds (the demo's is its bundled folder)."""
    if preset.name == DEMO_MODEL:
        return f"local-dir:{demo_model_dir()}"
    return preset.spec.partition(":")[0]


def build_random(arch: str, device: str = "cpu"):
    """``arch`` (an open_clip architecture name) with random weights (seed 0), in eval mode.

    ``device="meta"`` allocates nothing: enough to count parameters and FLOPs of the big ones.
    """
    import open_clip
    import torch

    with _recorded_hf_configs(), torch.device(device), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model(
            arch, None, device=device, load_weights=False, pretrained_image=False,
            pretrained_text=False,
        )  # fmt: skip
    return model.eval()


def count_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def tower_params(model) -> tuple[int, int]:
    """(image tower, everything else): the text tower plus the shared logit scale/bias."""
    image = count_params(model.visual)
    return image, count_params(model) - image


def text_forward(model, context_length: int):
    """The text tower on one row of token ids (zeros but the first): checks it runs, and
    gives the embedding width; works on the meta device too."""
    import torch

    device = next(model.parameters()).device
    ids = torch.zeros(1, context_length, dtype=torch.long)
    ids[0, 0] = 2
    with torch.no_grad():
        return model.encode_text(ids.to(device))


def query_context(arch: str) -> int:
    """Tokens a query is cut to: the tokenizer's context length (open_clip's rule: the
    config's ``text_cfg.context_length``, else 77)."""
    import open_clip
    from open_clip.factory import DEFAULT_CONTEXT_LENGTH

    if arch.startswith("local-dir:"):
        import json
        from pathlib import Path

        config = json.loads((Path(arch.removeprefix("local-dir:")) / "open_clip_config.json")
                            .read_text(encoding="utf-8"))["model_cfg"]  # fmt: skip
    else:
        config = open_clip.get_model_config(arch) or {}
    return int(config.get("text_cfg", {}).get("context_length", DEFAULT_CONTEXT_LENGTH))


def image_forward(model):
    """The image tower on one blank image at the model's size (meta device too)."""
    import torch

    with torch.no_grad():
        return model.encode_image(_blank_image(model))


def image_gflops(model) -> float:
    """Forward FLOPs of the image tower on one image, in GFLOPs counted as open_clip's
    model_profile table does (one per multiply-add: torch's FLOP counter halved)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    if next(model.parameters()).device.type != "meta":
        # CPU attention kernels escape the counter; on meta, attention is counted as matmuls
        model = copy.deepcopy(model).to("meta")
    counter = FlopCounterMode(display=False)
    with torch.enable_grad(), counter:  # the counter's module hooks fail under no_grad (timm)
        model.encode_image(_blank_image(model))
    return counter.get_total_flops() / 2 / 1e9


def _blank_image(model):
    import torch

    size = model.visual.preprocess_cfg["size"]
    h, w = (size, size) if isinstance(size, int) else size
    return torch.zeros(1, 3, h, w, device=next(model.parameters()).device)


@contextmanager
def _recorded_hf_configs() -> Iterator[None]:
    """open_clip's ``AutoConfig.from_pretrained`` answers the recorded towers from memory."""
    try:
        from open_clip import hf_model
    except ImportError:  # pragma: no cover - open_clip is a dependency
        yield
        return
    auto = getattr(hf_model, "AutoConfig", None)
    if auto is None:  # transformers missing: open_clip raises its own clear error
        yield
        return
    from transformers import AutoConfig

    original = hf_model.AutoConfig

    class _Recorded:
        @staticmethod
        def from_pretrained(name: str, *args: Any, **kwargs: Any):
            fields = HF_TEXT_CONFIGS.get(str(name))
            if fields is None:
                return AutoConfig.from_pretrained(name, *args, **kwargs)
            fields = dict(fields)
            return AutoConfig.for_model(fields.pop("model_type"), **fields)

    hf_model.AutoConfig = _Recorded
    try:
        yield
    finally:
        hf_model.AutoConfig = original
