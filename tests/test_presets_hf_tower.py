"""The NLLB text tower of the multilingual presets runs for real on CPU, with random weights
and no download (its Hub config is recorded in ``preset_archs``). The meta-device builds of
tests/test_presets.py cannot run transformers' code, so this catches a transformers release
that breaks open_clip's Hugging Face adapter."""

from __future__ import annotations

import pytest
import torch

from vidseek.core.models.preset_archs import architecture, build_random
from vidseek.core.models.presets import PRESETS


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def test_hugging_face_text_tower_runs_on_cpu():
    """The NLLB text tower (transformers code, which the meta build cannot run) embeds a
    batch with padding: catches a transformers release that breaks open_clip's adapter.
    Weights are drawn directly (transformers' own init of 615M parameters is skipped)."""
    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # transformers 4
        from transformers.modeling_utils import no_init_weights
    preset = PRESETS["multilingual"]
    with no_init_weights():
        model = build_random(architecture(preset), device="cpu")
    seeded = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.text.parameters():
            p.normal_(0, 0.02, generator=seeded)
    pad = model.text.config.pad_token_id
    ids = torch.randint(3, 1000, (2, preset.context_length), generator=seeded)
    ids[0, 10:], ids[1, 40:] = pad, pad
    with torch.no_grad():
        out = model.encode_text(ids)
        again = model.encode_text(ids[:1])
    assert tuple(out.shape) == (2, preset.embed_dim) and torch.isfinite(out).all()
    assert torch.allclose(out[:1], again, atol=1e-4)  # padding is masked, rows independent
    assert not torch.allclose(out[0], out[1])
