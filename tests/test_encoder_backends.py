"""Accelerated image-tower backends (OpenVINO, ONNX Runtime) against torch, the reference.

Tiny models only. Tests share one export cache folder, except those that count exports.
"""

from __future__ import annotations

import copy
import json
import logging
import threading

import numpy as np
import open_clip
import pytest
import torch

from vidseek.core.errors import ModelError
from vidseek.core.models import backends, clear_cache, export, load_encoder

DEMO = "vidseek-demo:random"
TINY_ARCH = "vidseek-backend-tiny"  # standard tokenizer, non-square input, 2 layers
TINY_CFG = {
    "embed_dim": 48,
    "vision_cfg": {
        "image_size": [48, 64],
        "layers": 2,
        "width": 64,
        "head_width": 16,
        "patch_size": 12,
    },
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
ACCELERATED = backends.installed()


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("vidseek-cache"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, shared_cache):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("VIDSEEK_CACHE_DIR", shared_cache)
    monkeypatch.delenv(backends.ENV, raising=False)
    clear_cache()
    yield
    clear_cache()


@pytest.fixture()
def exports(monkeypatch, tmp_path) -> list[str]:
    """Counts real exports (the wrapped exporter still runs) into an empty cache folder."""
    monkeypatch.setenv("VIDSEEK_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[str] = []
    real = export._export

    def counting(model, size, path):
        calls.append(str(path))
        real(model, size, path)

    monkeypatch.setattr(export, "_export", counting)
    return calls


@pytest.fixture(scope="module")
def tiny_arch(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("arch") / f"{TINY_ARCH}.json"
    path.write_text(json.dumps(TINY_CFG))
    open_clip.add_model_config(path)
    return f"{TINY_ARCH}:random"


def images() -> list[np.ndarray]:
    """Seven frames of varied sizes and content (grey, solid, noise, gradients)."""
    rng = np.random.default_rng(1)
    ramp = np.linspace(0, 255, 120, dtype=np.uint8)
    return [
        rng.integers(0, 256, (72, 96, 3), dtype=np.uint8),
        rng.integers(0, 256, (240, 320, 3), dtype=np.uint8),
        np.full((64, 64, 3), (200, 30, 30), np.uint8),
        np.zeros((50, 90, 3), np.uint8),
        np.broadcast_to(ramp[None, :, None], (40, 120, 3)).copy(),
        rng.integers(0, 256, (33, 97), dtype=np.uint8),  # grey
        np.full((16, 16, 3), 255, np.uint8),
    ]


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum(axis=1).min())


@pytest.mark.parametrize("backend", ACCELERATED)
@pytest.mark.parametrize("spec", [DEMO, "tiny"])
def test_backend_matches_torch(spec, backend, tiny_arch):
    spec = tiny_arch if spec == "tiny" else spec
    reference = load_encoder(spec, device="cpu", backend="torch", batch_size=3)
    fast = load_encoder(spec, device="cpu", backend=backend, batch_size=3)  # 7 = 3 + 3 + 1
    assert fast.backend == backend and backend in repr(fast) and reference.backend == "torch"
    assert fast.identity == reference.identity and fast.model is reference.model
    frames = images()
    got, expected = fast.encode_images(frames), reference.encode_images(frames)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert min_cosine(got, expected) >= 0.999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    single = fast.encode_images(frames[1:2])  # batch of one
    assert min_cosine(single, expected[1:2]) >= 0.999
    np.testing.assert_array_equal(fast.encode_images(frames), got)  # deterministic
    texts = ["a red circle", "ein roter Kreis"]  # texts stay on torch
    np.testing.assert_array_equal(fast.encode_texts(texts), reference.encode_texts(texts))
    assert fast.encode_images([]).shape == (0, fast.identity.dim)


@pytest.mark.parametrize("backend", ACCELERATED)
def test_export_is_cached_across_loads_and_backends(backend, exports):
    load_encoder(DEMO, device="cpu", backend=backend)
    assert len(exports) == 1
    clear_cache()
    again = load_encoder(DEMO, device="cpu", backend=backend)
    for other in ACCELERATED:
        load_encoder(DEMO, device="cpu", backend=other)
    assert len(exports) == 1 and again.backend == backend
    cached = list((export.cache_root() / "visual").glob("*"))
    assert [p.suffix for p in sorted(cached)] == [".onnx", ".lock"]  # no temporary files left


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
@pytest.mark.parametrize("backend", ACCELERATED)
def test_damaged_cache_is_exported_again(backend, damage, exports, caplog):
    expected = load_encoder(DEMO, device="cpu", backend="torch").encode_images(images())
    load_encoder(DEMO, device="cpu", backend=backend)
    (path,) = (export.cache_root() / "visual").glob("*.onnx")
    data = path.read_bytes()
    path.write_bytes({"garbage": b"\x08\xff" * 999, "truncated": data[: len(data) // 2],
                      "empty": b""}[damage])  # fmt: skip
    clear_cache()
    with caplog.at_level(logging.WARNING, logger="vidseek.core.models.backends"):
        encoder = load_encoder(DEMO, device="cpu", backend=backend)
    assert len(exports) == 2 and encoder.backend == backend
    assert "exporting again" in caplog.text
    assert min_cosine(encoder.encode_images(images()), expected) >= 0.999


def test_parallel_loads_export_once(exports):
    encoder = load_encoder(DEMO, device="cpu", backend="torch")
    model, size = encoder.model, encoder.preprocess.size
    folder = export.cache_root() / "visual"
    folder.mkdir(parents=True)
    stale = folder / f"{export.visual_digest(model, size)[:32]}.onnx.x1y2.tmp"
    stale.write_bytes(b"half an export from a killed process")
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(export.cached_visual(model, size)))
               for _ in range(3)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(exports) == 1 and len({p for p, _ in paths}) == 1
    assert sorted(fresh for _, fresh in paths) == [False, False, True]
    assert not stale.exists()


def test_cache_key_follows_the_weights():
    encoder = load_encoder(DEMO, device="cpu", backend="torch")
    changed = copy.deepcopy(encoder.model)
    with torch.no_grad():
        next(changed.visual.parameters()).view(-1)[0] += 1e-3
    size = encoder.preprocess.size
    assert export.visual_digest(changed, size) != export.visual_digest(encoder.model, size)
    assert export.visual_digest(encoder.model, size) != export.visual_digest(encoder.model, (8, 8))


@pytest.mark.parametrize("name", ["tensorrt", "ONNX"])
def test_unknown_backend_is_a_clear_error(name, monkeypatch):
    with pytest.raises(ModelError, match="unknown encoder backend.*auto, torch, openvino"):
        load_encoder(DEMO, device="cpu", backend=name)
    monkeypatch.setenv(backends.ENV, name)
    with pytest.raises(ModelError, match="unknown encoder backend"):
        load_encoder(DEMO, device="cpu")


def test_uninstalled_backend(monkeypatch):
    monkeypatch.setattr(backends, "_available", lambda name: name == "onnxruntime")
    with pytest.raises(
        ModelError, match=r"'openvino' is not installed: pip install 'vidseek\[fast\]"
    ):
        load_encoder(DEMO, device="cpu", backend="openvino")
    assert load_encoder(DEMO, device="cpu").backend == "onnxruntime"
    monkeypatch.setattr(backends, "_available", lambda name: False)
    clear_cache()
    assert load_encoder(DEMO, device="cpu", backend="auto").backend == "torch"


def test_auto_rule(monkeypatch):
    assert backends.installed() == ["openvino", "onnxruntime"]  # the test extra installs both
    assert backends.choose("auto", "cpu") == "openvino"  # fastest in bench/encode.py
    assert backends.choose("auto", "cuda") == backends.choose("auto", "cuda:1") == "torch"
    assert backends.choose("onnxruntime", "cpu") == "onnxruntime"
    assert backends.requested(None) == "auto"
    monkeypatch.setenv(backends.ENV, " OpenVINO ")
    assert backends.requested(None) == "openvino" and backends.requested("torch") == "torch"


def test_gpu_encoders_keep_torch():
    encoder = copy.copy(load_encoder(DEMO, device="cpu", backend="torch"))
    encoder.device = "cuda:0"  # nothing runs: the rule decides before touching the model
    backends.attach(encoder, "auto")
    assert encoder.backend == "torch" and encoder.image_runner is None
    with pytest.raises(ModelError, match="CPU only"):
        backends.attach(encoder, "onnxruntime")


def test_env_selects_backend_and_argument_wins(monkeypatch):
    monkeypatch.setenv(backends.ENV, "onnxruntime")
    assert load_encoder(DEMO, device="cpu").backend == "onnxruntime"
    assert load_encoder(DEMO, device="cpu", backend="torch").backend == "torch"


def test_auto_falls_back_to_torch_when_export_fails(monkeypatch, caplog, exports):
    def broken(model, size, path):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(export, "_export", broken)
    with caplog.at_level(logging.WARNING, logger="vidseek.core.models.backends"):
        encoder = load_encoder(DEMO, device="cpu")
    assert encoder.backend == "torch" and "exporter exploded" in caplog.text
    with pytest.raises(ModelError, match="'openvino' failed: RuntimeError: exporter exploded"):
        load_encoder(DEMO, device="cpu", backend="openvino")
    assert not list((export.cache_root() / "visual").glob("*.tmp"))


def test_disagreeing_backend_is_refused(monkeypatch, exports):
    def wrong(pixels: np.ndarray) -> np.ndarray:
        return np.random.default_rng(0).standard_normal((len(pixels), 128), dtype=np.float32)

    monkeypatch.setattr(backends, "_open", lambda name, path, threads: iter([wrong]))
    assert load_encoder(DEMO, device="cpu").backend == "torch"
    with pytest.raises(ModelError, match="disagrees with torch"):
        load_encoder(DEMO, device="cpu", backend="onnxruntime")
    assert len(exports) == 2  # the cached file was suspected and exported again


def test_openvino_takes_the_fastest_precision_that_agrees_with_torch(monkeypatch):
    from vidseek.core.models import openvino_backend

    class BrokenBf16(openvino_backend.OpenVinoImages):
        def __call__(self, pixels: np.ndarray) -> np.ndarray:
            out = super().__call__(pixels)
            return -out if self.precision == "bf16" else out

    monkeypatch.setattr(openvino_backend, "precisions", lambda: ("bf16", "f32"))
    chosen = load_encoder(DEMO, device="cpu", backend="openvino", batch_size=3)
    assert chosen.image_runner.precision == "bf16" and "precision='bf16'" in repr(chosen)
    reference = load_encoder(DEMO, device="cpu", backend="torch").encode_images(images())
    assert min_cosine(chosen.encode_images(images()), reference) >= 0.999

    clear_cache()
    monkeypatch.setattr(openvino_backend, "OpenVinoImages", BrokenBf16)
    fallback = load_encoder(DEMO, device="cpu", backend="openvino", batch_size=3)
    assert fallback.image_runner.precision == "f32"
    assert min_cosine(fallback.encode_images(images()), reference) >= 0.999
