"""Every preset, without downloads: its architecture builds with random weights, its stored
size and cost match the build, its tokenizer resolves offline, and its towers run.

The big presets are built on the ``meta`` device (shapes without memory or values: the
parameter count, the image GFLOPs trace and the image tower's output shape are checked);
the demo and ``fast`` presets are built for real and embed a text and an image. Presets whose
tokenizer comes from the Hugging Face Hub (NLLB, XLM-V) cannot tokenize offline: for those
the test checks that open_clip asks for the right tokenizer with the right context length.
"""

from __future__ import annotations

import functools

import numpy as np
import open_clip
import pytest
import torch

from vidseek.core.models.byte_tokenizer import ByteTokenizer
from vidseek.core.models.clip_tokenizer import ClipTokenizer
from vidseek.core.models.naming import resolve
from vidseek.core.models.preset_archs import (
    architecture,
    build_random,
    image_forward,
    image_gflops,
    query_context,
    text_forward,
    tower_params,
)
from vidseek.core.models.presets import DEMO_MODEL, PRESETS, list_presets

REAL = {DEMO_MODEL, "fast"}  # small enough to build with values and run on CPU
TEXTS = ["a red circle on a blue background", "un círculo rojo", "赤い丸"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may touch the network: the hub libraries answer from cache or fail."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


ALL = [p.name for p in list_presets()]
OWN_TOKENIZER = [p.name for p in list_presets() if not p.tokenizer.startswith("hf:")]
HUB_TOKENIZER = [p.name for p in list_presets() if p.tokenizer.startswith("hf:")]


@functools.cache
def build(name: str, device: str):
    return build_random(architecture(PRESETS[name]), device=device)


def test_presets_are_complete_data():
    roles = {p.role for p in list_presets()}
    assert {"english", "multilingual", "fast", "offline"} <= roles
    for preset in list_presets():
        assert preset.description and preset.languages and preset.tokenizer
        assert preset.params > preset.image_params > 0 and preset.image_gflops > 0
        if preset.name != DEMO_MODEL:
            assert preset.metrics, f"{preset.name} has no published result"
        for metric in preset.metrics:
            assert metric.benchmark and metric.source and 0 < metric.value <= 100
        row = preset.to_json()
        assert row["text_backend"] in ("onnxruntime", "torch") and row["metrics"] == [
            {"benchmark": m.benchmark, "value": m.value, "source": m.source} for m in preset.metrics
        ]


def test_each_preset_resolves_to_a_published_tag():
    for preset in list_presets():
        resolved = resolve(preset.name)
        assert resolved.preset == preset.name and resolved.label == preset.spec
        if preset.name == DEMO_MODEL:
            continue
        arch, tag = preset.spec.split(":")
        assert tag in open_clip.list_pretrained_tags_by_model(arch)
        # the tag's activation matches the architecture's (MetaCLIP 2 needs -quickgelu)
        config = open_clip.get_model_config(arch)
        tag_cfg = open_clip.get_pretrained_cfg(arch, tag)
        assert bool(tag_cfg.get("quick_gelu")) == bool(config.get("quick_gelu")), preset.name


@pytest.mark.parametrize("name", ALL)
def test_stored_size_and_cost_match_the_architecture(name: str):
    preset, model = PRESETS[name], build(name, "meta")
    image, rest = tower_params(model)
    assert (image + rest, image) == (preset.params, preset.image_params)
    assert image_gflops(model) == pytest.approx(preset.image_gflops, rel=0.01)
    assert tuple(image_forward(model).shape) == (1, preset.embed_dim)
    size = model.visual.preprocess_cfg["size"]
    assert preset.image_size == (size if isinstance(size, int) else max(size))
    assert preset.context_length == query_context(architecture(preset))


@pytest.mark.parametrize("name", OWN_TOKENIZER)
def test_tokenizer_runs_offline_and_feeds_the_text_tower(name: str):
    preset = PRESETS[name]
    model = build(name, "cpu" if name in REAL else "meta")
    arch = architecture(preset)
    if preset.tokenizer == "bytes":
        tokenizer = ByteTokenizer(preset.context_length)
        assert resolve(preset.name).tokenizer == "bytes"
    else:
        assert preset.tokenizer == "clip-bpe"
        tokenizer = open_clip.get_tokenizer(arch)
        assert type(tokenizer).__name__ == "SimpleTokenizer"
        assert tokenizer.reduction_fn is None  # else the torch-free port would differ
        port = ClipTokenizer(preset.context_length).ids(TEXTS)
        assert np.array_equal(port, tokenizer(TEXTS).numpy())
    ids = tokenizer(TEXTS)
    assert tuple(ids.shape) == (len(TEXTS), preset.context_length)
    if preset.name in REAL:
        with torch.no_grad():
            out = model.encode_text(ids)
        assert tuple(out.shape) == (len(TEXTS), preset.embed_dim)
        assert torch.isfinite(out).all()
        image = image_forward(model)
        assert torch.isfinite(image).all()
    else:
        assert tuple(text_forward(model, preset.context_length).shape) == (1, preset.embed_dim)


@pytest.mark.parametrize("name", HUB_TOKENIZER)
def test_hub_tokenizers_are_named_right(name: str, monkeypatch: pytest.MonkeyPatch):
    """What open_clip would load, read without loading it (its files are on the Hub)."""
    preset = PRESETS[name]
    arch = architecture(preset)
    asked: dict = {}

    class Recorder:
        def __init__(self, source, context_length, **kwargs):
            asked.update(source=source, context_length=context_length)

    monkeypatch.setattr(open_clip.factory, "HFTokenizer", Recorder)
    open_clip.get_tokenizer(arch)
    assert asked == {"source": preset.tokenizer.removeprefix("hf:"), "context_length": 77}
    assert preset.context_length == 77 and preset.text_backend == "torch"
    text_cfg = open_clip.get_model_config(arch)["text_cfg"]
    assert text_cfg["hf_tokenizer_name"] == asked["source"]
