"""The model layer: naming, presets, errors, preprocessing, encoder plumbing, golden outputs.

Everything runs offline on random-init tiny models. Regenerate the golden file with
``python -m tests.test_models --write-golden`` (only after a deliberate change).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image

from vidseek.core.errors import ModelError, UnknownModel, WeightsUnavailable
from vidseek.core.models import (
    DEMO_MODEL,
    PRESETS,
    ClipEncoder,
    clear_cache,
    describe_model,
    list_presets,
    load_encoder,
    resolve,
)
from vidseek.core.models.preprocess import BatchPreprocess, _resize
from vidseek.core.types import Encoder, ModelIdentity
from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene

torch.set_num_threads(1)

GOLDEN = Path(__file__).parent / "golden" / "models_demo_random.json"
DEMO_CONFIG = Path(__file__).parents[1] / "data" / "models" / DEMO_MODEL / "open_clip_config.json"
RANDOM_DEMO = f"{DEMO_MODEL}:random"
TINY_ARCH = "vidseek-test-tiny"  # a small open_clip architecture with the standard tokenizer
TINY_CFG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def frame(shape: str = "circle", color: str = "red", size: tuple[int, int] = (96, 72)):
    scene = Scene(0.0, 2.0, shape, color, "blue")
    return render_frame(scene, 1.0, *size)


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    # no test may touch the network, and no test may find weights in a developer's cache
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)


@pytest.fixture(scope="module")
def demo() -> ClipEncoder:
    return load_encoder(RANDOM_DEMO, device="cpu", batch_size=4)


@pytest.fixture()
def tiny_arch(tmp_path):
    path = tmp_path / f"{TINY_ARCH}.json"
    path.write_text(json.dumps(TINY_CFG))
    open_clip.add_model_config(path)
    return TINY_ARCH


# --- naming and presets ---------------------------------------------------------------


def test_presets_are_documented_and_resolvable():
    names = [p.name for p in list_presets()]
    assert names[0] == DEMO_MODEL
    assert {"english", "multilingual", "fast"} <= set(names)
    assert PRESETS["english"].spec == "PE-Core-B-16:meta"
    assert PRESETS["multilingual"].spec == "nllb-clip-base-siglip:mrl"
    for preset in list_presets():
        assert preset.description and "\n" not in preset.description
        resolved = resolve(preset.name)
        assert resolved.preset == preset.name
        assert resolve(resolved.label).label == resolved.label  # labels are specs


@pytest.mark.parametrize(
    ("spec", "kind", "label"),
    [
        ("english", "tag", "PE-Core-B-16:meta"),
        ("fast", "tag", "ViT-B-32:laion2b_s34b_b79k"),
        ("ViT-B-32:LAION2B-s34b-b79k", "tag", "ViT-B-32:laion2b_s34b_b79k"),
        ("vit-b-32:random", "random", "ViT-B-32:random"),
        ("multilingual:random", "random", "nllb-clip-base-siglip:random"),
        ("hf-hub:timm/ViT-B-16-SigLIP", "hf-hub", "hf-hub:timm/ViT-B-16-SigLIP"),
        ("ViT-B-32:/weights/clip.safetensors", "file", "ViT-B-32:/weights/clip.safetensors"),
        (DEMO_MODEL, "local-dir", f"{DEMO_MODEL}:bundled"),
        (RANDOM_DEMO, "random", RANDOM_DEMO),
    ],
)
def test_resolve(spec, kind, label):
    resolved = resolve(spec)
    assert (resolved.kind, resolved.label) == (kind, label)


def test_demo_uses_byte_tokenizer_and_env_override(tmp_path, monkeypatch):
    assert resolve(DEMO_MODEL).tokenizer == "bytes"
    (tmp_path / "open_clip_config.json").write_text(DEMO_CONFIG.read_text())
    monkeypatch.setenv("VIDSEEK_DEMO_MODEL_DIR", str(tmp_path))
    assert resolve(DEMO_MODEL).model_name == f"local-dir:{tmp_path.resolve()}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("englsh", "english"),
        ("ViT-B-33:openai", "ViT-B-32"),
        ("ViT-B-32:laion2b_s34b", "laion2b_s34b_b79k"),
        ("ViT-B-32", ":random"),  # bare architecture: pick a tag
        ("english:openai", "fixes its weights"),
        ("hf-hub:no-slash", "ORG/REPO"),
        ("local-dir:/nonexistent/model", "open_clip_config.json"),
        ("", DEMO_MODEL),
    ],
)
def test_unknown_names_suggest(spec, expected):
    with pytest.raises(UnknownModel) as info:
        resolve(spec)
    assert expected in str(info.value)


def test_describe_model_needs_no_weights():
    text = describe_model("fast")
    assert "ViT-B-32:laion2b_s34b_b79k" in text and PRESETS["fast"].description in text
    assert "random init" in describe_model(RANDOM_DEMO)


# --- weights errors -------------------------------------------------------------------


def test_offline_tag_fails_fast_with_instructions():
    start = time.monotonic()
    with pytest.raises(WeightsUnavailable) as info:
        load_encoder("fast", device="cpu")
    assert time.monotonic() - start < 5
    message = str(info.value)
    for hint in ("HF_HUB_OFFLINE", "HF_HOME", "local-dir:", "ViT-B-32:/path/to/", DEMO_MODEL):
        assert hint in message


def test_missing_demo_weights(tmp_path, monkeypatch):
    (tmp_path / "open_clip_config.json").write_text(DEMO_CONFIG.read_text())
    monkeypatch.setenv("VIDSEEK_DEMO_MODEL_DIR", str(tmp_path))
    with pytest.raises(WeightsUnavailable, match="open_clip_model.safetensors"):
        load_encoder(DEMO_MODEL, device="cpu")
    assert load_encoder(RANDOM_DEMO, device="cpu").identity.dim == 128


def test_missing_local_file(tiny_arch):
    with pytest.raises(WeightsUnavailable, match="no weights file"):
        load_encoder(f"{tiny_arch}:/nonexistent/w.safetensors", device="cpu")


def test_errors_share_the_model_error_base():
    assert issubclass(WeightsUnavailable, ModelError) and issubclass(UnknownModel, ModelError)


# --- the encoder ----------------------------------------------------------------------


def test_identity_and_protocol(demo):
    assert isinstance(demo, Encoder)
    ident = demo.identity
    assert (ident.name, ident.pretrained, ident.dim, ident.image_size) == (
        DEMO_MODEL, "random", 128, 160,
    )  # fmt: skip
    assert ident.mean == (0.5, 0.5, 0.5) and ident.std == (0.5, 0.5, 0.5)
    assert ModelIdentity.from_json(ident.to_json()) == ident


def test_shapes_dtype_norms(demo):
    frames = [frame(), frame("star", "green", (40, 120)), frame("square", "white", (64, 64))] * 3
    images = demo.encode_images(frames)  # 9 images, batch size 4: three batches, mixed sizes
    texts = demo.encode_texts(["a red circle", "ein roter Kreis", "红色的圆形", "", "x" * 500])
    for out, n in ((images, 9), (texts, 5)):
        assert out.shape == (n, 128) and out.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert demo.encode_images([]).shape == (0, 128)
    assert demo.encode_texts([]).shape == (0, 128)
    # batching and grouping by size must not change any row
    np.testing.assert_allclose(images[:3], images[3:6], atol=1e-6)
    np.testing.assert_allclose(demo.encode_images(frames[1:2])[0], images[1], atol=1e-5)


def test_languages_encode_differently(demo):
    de, zh, en = demo.encode_texts(["ein roter Kreis", "红色的圆形", "a red circle"])
    assert not np.allclose(de, zh) and not np.allclose(zh, en)
    np.testing.assert_allclose(demo.encode_texts(["红色的圆形"])[0], zh, atol=1e-6)


def test_grey_and_rgba_images_accepted(demo):
    rgb = frame()
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    np.testing.assert_allclose(demo.encode_images([rgba]), demo.encode_images([rgb]), atol=1e-6)
    assert demo.encode_images([rgb[:, :, 0]]).shape == (1, 128)
    with pytest.raises(ValueError):
        demo.encode_images([rgb.astype(np.float32)])


def test_random_init_is_deterministic_and_leaves_rng_alone(demo):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    clear_cache()
    again = load_encoder(RANDOM_DEMO, device="cpu")
    assert torch.equal(torch.rand(3), expected)
    assert again is not demo
    theirs = again.model.state_dict()
    assert all(torch.equal(v, theirs[k]) for k, v in demo.model.state_dict().items())


def test_cached_per_process(demo):
    first = load_encoder(RANDOM_DEMO, device="cpu", batch_size=4)
    assert load_encoder(RANDOM_DEMO, device="cpu", batch_size=4) is first
    other = load_encoder(RANDOM_DEMO, device="cpu", batch_size=16)
    assert other.model is first.model and other.batch_size == 16


def test_local_weights_file_and_dir(tmp_path, tiny_arch):
    from safetensors.torch import save_file

    random_enc = load_encoder(f"{tiny_arch}:random", device="cpu")
    weights = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in random_enc.model.state_dict().items()}, weights)
    from_file = load_encoder(f"{tiny_arch}:{weights}", device="cpu")
    assert from_file.identity.pretrained == str(weights)
    assert len(from_file.identity.weights_sha256) == 64
    texts = ["a red circle", "ein Kreis"]
    np.testing.assert_allclose(
        from_file.encode_texts(texts), random_enc.encode_texts(texts), atol=1e-6
    )
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY_CFG}))
    (folder / "open_clip_model.safetensors").write_bytes(weights.read_bytes())
    from_dir = load_encoder(f"local-dir:{folder}", device="cpu")
    assert from_dir.identity.weights_sha256 == from_file.identity.weights_sha256
    assert resolve(from_dir.identity.label) == resolve(f"local-dir:{folder}")
    image = [frame()]
    np.testing.assert_allclose(from_dir.encode_images(image), from_file.encode_images(image))


# --- preprocessing equals open_clip's PIL transform -----------------------------------


SIZES = [(96, 72), (72, 96), (320, 240), (33, 97), (64, 64), (20, 15)]


@pytest.mark.parametrize("resize_mode", ["shortest", "longest", "squash"])
@pytest.mark.parametrize("interpolation", ["bicubic", "bilinear"])
@pytest.mark.parametrize("size", [64, (48, 64)])
def test_batch_preprocess_matches_pil(resize_mode, interpolation, size):
    cfg = PreprocessCfg(size=size, interpolation=interpolation, resize_mode=resize_mode)
    pil_transform = image_transform_v2(cfg, is_train=False)
    ours = BatchPreprocess(vars(cfg))
    rng = np.random.default_rng(0)
    for w, h in SIZES:
        img = frame("triangle", "yellow", (w, h))
        img[: h // 3] = rng.integers(0, 256, (h // 3, w, 3), dtype=np.uint8)  # texture, too
        expected = pil_transform(Image.fromarray(img))
        got = ours(torch.from_numpy(img)[None])[0]
        assert got.shape == expected.shape
        # one grey level is 1/255/std ≈ 0.017 here; allow rounding differences only
        assert (got - expected).abs().mean() < 0.01, (w, h)


@pytest.mark.parametrize("mode", ["bicubic", "bilinear"])
def test_float_resize_path_matches_pil(mode):
    # the path used on GPUs, where torch has no uint8 kernels
    img = frame("star", "white", (97, 61))
    resample = Image.BICUBIC if mode == "bicubic" else Image.BILINEAR
    expected = np.asarray(Image.fromarray(img).resize((40, 25), resample)).astype(int)
    x = torch.from_numpy(img)[None].permute(0, 3, 1, 2)
    got = _resize(x, (25, 40), mode, native_uint8=False)[0].permute(1, 2, 0).numpy()
    assert got.dtype == np.uint8 and np.abs(got.astype(int) - expected).max() <= 2


def test_encoder_preprocessing_matches_open_clip_transform(demo):
    pil_transform = image_transform_v2(PreprocessCfg(**demo.preprocess_cfg), is_train=False)
    frames = [frame(s, c, size) for s, c, size in
              [("circle", "red", (320, 240)), ("star", "purple", (50, 90)),
               ("square", "orange", (64, 64)), ("triangle", "black", (1280, 720))]]  # fmt: skip
    ours = demo.encode_images(frames)
    with torch.inference_mode():
        pixels = torch.stack([pil_transform(Image.fromarray(f)) for f in frames])
        reference = torch.nn.functional.normalize(demo.model.encode_image(pixels), dim=-1)
    cosines = (ours * reference.numpy()).sum(axis=1)
    assert cosines.min() >= 0.999, cosines


# --- golden outputs -------------------------------------------------------------------


def _golden_values() -> dict[str, list[float]]:
    clear_cache()
    encoder = load_encoder(RANDOM_DEMO, device="cpu", backend="torch")  # torch is the reference
    text = encoder.encode_texts(["a red circle"])[0]
    image = encoder.encode_images([frame("circle", "red", (96, 72))])[0]
    clear_cache()
    return {"text": text[:8].tolist(), "image": image[:8].tolist()}


def test_golden_outputs(tmp_path, monkeypatch):
    # the golden file carries its own config, so retraining the demo model cannot break it
    golden = json.loads(GOLDEN.read_text())
    (tmp_path / "open_clip_config.json").write_text(json.dumps(golden["config"]))
    monkeypatch.setenv("VIDSEEK_DEMO_MODEL_DIR", str(tmp_path))
    values = _golden_values()
    np.testing.assert_allclose(values["text"], golden["text"], atol=1e-4)
    np.testing.assert_allclose(values["image"], golden["image"], atol=1e-4)


def _write_golden() -> None:
    import os

    config = json.loads(DEMO_CONFIG.read_text())
    os.environ["VIDSEEK_DEMO_MODEL_DIR"] = str(DEMO_CONFIG.parent)
    values = _golden_values()
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps({"spec": RANDOM_DEMO, "config": config, **values}, indent=1))
    print(f"wrote {GOLDEN}")


if __name__ == "__main__" and "--write-golden" in sys.argv:
    _write_golden()
