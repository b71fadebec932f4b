"""Named model presets: short names for the models vidseek recommends, each with its trade-off.

Every preset is data: what it expands to, its size and cost (parameters and image GFLOPs
measured by ``scripts/measure_presets.py`` on a random-weight build; tests/test_presets.py
rebuilds each one and checks them), its text context, its languages, and published results
with their source. Importing this module imports neither torch nor open_clip.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vidseek.data import models_dir

DEMO_MODEL = "vidseek-demo"
DEMO_PRETRAINED = "bundled"  # identity tag of the bundled weights: "vidseek-demo:bundled"
DEMO_WEIGHTS_NAME = "open_clip_model.safetensors"

# Tokenizers: "bytes" and "clip-bpe" have torch-free ports, so query texts run on ONNX Runtime
# (text_encoder); "hf:REPO" is a Hugging Face tokenizer, so query texts stay on torch.
TORCH_FREE_TOKENIZERS = ("bytes", "clip-bpe")

_PE_README = (
    "Bolya et al. 2025, Perception Encoder (arXiv:2504.13181); 'Model Performance' table of "
    "github.com/facebookresearch/perception_models apps/pe/README.md"
)
_NLLB_CARD = "model card, huggingface.co/visheratin/nllb-siglip-mrl-{}"
_METACLIP2 = "Chuang et al. 2025, MetaCLIP 2: A Worldwide Scaling Recipe (arXiv:2507.22062)"
_OPENCLIP_RESULTS = "open_clip docs/openclip_results.csv (github.com/mlfoundations/open_clip)"


@dataclass(frozen=True)
class Metric:
    """A published result: what was measured, the number, and where it is published."""

    benchmark: str
    value: float
    source: str


@dataclass(frozen=True)
class Preset:
    """A short model name, what it expands to, and what it costs and achieves."""

    name: str
    spec: str  # full NAME:PRETRAINED spec (the demo preset names itself)
    description: str  # one line: what it is good at and what it costs
    role: str = ""  # "english" | "multilingual" | "fast" | "offline"
    params: int = 0  # all parameters (image and text towers), counted on a random-weight build
    image_params: int = 0
    image_gflops: float = 0.0  # one image at the model's size; 1 per multiply-add, as open_clip
    embed_dim: int = 0
    image_size: int = 0
    context_length: int = 0  # text tokens the model reads; longer queries are cut
    tokenizer: str = ""  # "bytes" | "clip-bpe" | "hf:REPO"
    languages: str = ""
    metrics: tuple[Metric, ...] = ()

    @property
    def text_backend(self) -> str:
        """What runs the query texts: "onnxruntime" (torch-free tokenizer) or "torch"."""
        return "onnxruntime" if self.tokenizer in TORCH_FREE_TOKENIZERS else "torch"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["metrics"] = [asdict(m) for m in self.metrics]
        out["text_backend"] = self.text_backend
        return out


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            DEMO_MODEL,
            f"{DEMO_MODEL}:{DEMO_PRETRAINED}",
            "tiny bundled model (128-d, 160 px), works offline; knows only the demo world",
            role="offline",
            params=2_224_025,
            image_params=1_372_952,
            image_gflops=0.111,
            embed_dim=128,
            image_size=160,
            context_length=64,
            tokenizer="bytes",
            languages="any (UTF-8 bytes; trained on 5 languages of the demo world)",
        ),
        Preset(
            "english",
            "PE-Core-B-16:meta",
            "best English retrieval per FLOP (1024-d, 224 px); 32-token queries, English only",
            role="english",
            params=447_660_545,
            image_params=93_673_984,
            image_gflops=17.80,
            embed_dim=1024,
            image_size=224,
            context_length=32,
            tokenizer="clip-bpe",
            languages="en",
            metrics=(
                Metric("MSR-VTT text->video R@1, zero-shot", 47.6, _PE_README),
                Metric("ImageNet-1k zero-shot top-1", 78.4, _PE_README),
            ),
        ),
        Preset(
            "english-large",
            "PE-Core-L-14-336:meta",
            "most accurate English model here (1024-d, 336 px) but ~11x the image cost; use a GPU",
            role="english",
            params=671_138_817,
            image_params=317_152_256,
            image_gflops=192.18,
            embed_dim=1024,
            image_size=336,
            context_length=32,
            tokenizer="clip-bpe",
            languages="en",
            metrics=(
                Metric("MSR-VTT text->video R@1, zero-shot", 50.3, _PE_README),
                Metric("ImageNet-1k zero-shot top-1", 83.5, _PE_README),
            ),
        ),
        Preset(
            "multilingual",
            "nllb-clip-base-siglip:mrl",
            "201 languages (NLLB text tower, SigLIP ViT-B/16 at 384 px, 768-d); queries on torch",
            role="multilingual",
            params=507_474_178,
            image_params=93_176_064,
            image_gflops=56.06,
            embed_dim=768,
            image_size=384,
            context_length=77,
            tokenizer="hf:facebook/nllb-200-distilled-600M",
            languages="201 (FLORES-200)",
            metrics=(
                Metric(
                    "XM3600 text->image R@1, mean over 36 languages",
                    55.4,
                    _NLLB_CARD.format("base"),
                ),
            ),
        ),
        Preset(
            "multilingual-large",
            "nllb-clip-large-siglip:mrl",
            "best published XM3600 text->image here (SigLIP SO400M 384 px, 1152-d); use a GPU",
            role="multilingual",
            params=1_195_496_514,
            image_params=428_225_600,
            image_gflops=335.17,
            embed_dim=1152,
            image_size=384,
            context_length=77,
            tokenizer="hf:facebook/nllb-200-distilled-1.3B",
            languages="201 (FLORES-200)",
            metrics=(
                Metric(
                    "XM3600 text->image R@1, mean over 36 languages",
                    60.8,
                    _NLLB_CARD.format("large"),
                ),
            ),
        ),
        Preset(
            "worldwide",
            "ViT-H-14-worldwide-quickgelu:metaclip2_worldwide",
            "MetaCLIP 2: worldwide web data, beats its English-only twin (ViT-H/14); use a GPU",
            role="multilingual",
            params=1_858_783_745,
            image_params=632_076_800,
            image_gflops=167.30,
            embed_dim=1024,
            image_size=224,
            context_length=77,
            tokenizer="hf:facebook/xlm-v-base",
            languages="worldwide web data, many languages (XLM-V tokenizer)",
            metrics=(
                Metric("XM3600 image->text R@1", 64.3, _METACLIP2),
                Metric("Babel-ImageNet zero-shot top-1", 50.2, _METACLIP2),
                Metric("CVQA accuracy", 57.4, _METACLIP2),
            ),
        ),
        Preset(
            "fast",
            "ViT-B-32:laion2b_s34b_b79k",
            "fastest real model (512-d, 224 px, 4.4 GFLOPs); English only, weaker than the above",
            role="fast",
            params=151_277_313,
            image_params=87_849_216,
            image_gflops=4.41,
            embed_dim=512,
            image_size=224,
            context_length=77,
            tokenizer="clip-bpe",
            languages="en",
            metrics=(Metric("ImageNet-1k zero-shot top-1", 66.6, _OPENCLIP_RESULTS),),
        ),
    )
}


def list_presets() -> list[Preset]:
    """All presets, in recommendation order."""
    return list(PRESETS.values())


def demo_model_dir() -> Path:
    """Folder of the bundled demo model (``$VIDSEEK_DEMO_MODEL_DIR`` overrides)."""
    override = os.environ.get("VIDSEEK_DEMO_MODEL_DIR")
    if override:
        return Path(override).expanduser().resolve()
    return models_dir() / DEMO_MODEL
