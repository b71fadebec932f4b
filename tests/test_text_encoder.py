"""Query texts on ONNX Runtime: the same vectors and identity as torch, cached on disk,
loaded later without torch, re-exported when the cached file is damaged."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import skip_or_fail_in_ci
from vidseek.core.models import load_encoder, text_encoder
from vidseek.core.models.presets import demo_model_dir
from vidseek.core.models.text_encoder import (
    OnnxTextEncoder,
    TextRecord,
    load_text_encoder,
    read_record,
    weights_stamp,
    write_record,
)

if importlib.util.find_spec("onnxruntime") is None:
    skip_or_fail_in_ci("onnxruntime is not installed (pip install 'vidseek[fast]')")

DEMO, VIT = "vidseek-demo", "ViT-B-32:random"
TEXTS = [
    "a red circle on a blue background",
    "una estrella amarilla",
    "ein grünes Dreieck",
    "一个红色的圆圈",
    "",
    "a very long query " * 30,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("text_cache")


@pytest.fixture(autouse=True)
def _isolated(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSEEK_CACHE_DIR", str(cache))
    monkeypatch.delenv("VIDSEEK_ENCODER_BACKEND", raising=False)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("spec", [DEMO, VIT])
def test_same_vectors_and_identity_as_torch(spec: str):
    encoder = load_text_encoder(spec)
    assert isinstance(encoder, OnnxTextEncoder)
    reference = load_encoder(spec, device="cpu", backend="torch")
    assert encoder.identity == reference.identity
    got, want = encoder.encode_texts(TEXTS), reference.encode_texts(TEXTS)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert cosines(got, want).min() >= 0.999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # batches of any size give the same rows
    assert np.allclose(encoder.encode_texts(TEXTS[:1]), got[:1], atol=1e-5)


def test_later_loads_import_no_torch(cache: Path):
    load_text_encoder(DEMO)  # exported (or already cached) in this process
    code = (
        "import sys; from vidseek.core.models import load_text_encoder; "
        f"e = load_text_encoder({DEMO!r}); v = e.encode_texts(['a red circle']); "
        "print(type(e).__name__, v.shape[1], "
        "[m for m in ('torch', 'open_clip', 'transformers') if m in sys.modules])"
    )
    env = {**os.environ, "VIDSEEK_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["OnnxTextEncoder", "128", "[]"]


def test_damaged_cached_file_is_exported_again(cache: Path):
    first = load_text_encoder(DEMO)
    want = first.encode_texts(TEXTS)
    record_path = cache / "text" / f"{text_encoder.lookup_key(DEMO)}.json"
    onnx = cache / "text" / json.loads(record_path.read_text())["onnx"]
    onnx.write_bytes(b"not an onnx graph")
    again = load_text_encoder(DEMO)
    assert isinstance(again, OnnxTextEncoder)
    assert onnx.stat().st_size > 1000
    assert cosines(again.encode_texts(TEXTS), want).min() >= 0.999


def test_wrong_vectors_in_the_cache_are_caught(cache: Path):
    load_text_encoder(DEMO)
    path = cache / "text" / f"{text_encoder.lookup_key(DEMO)}.json"
    record = read_record(path)
    assert record is not None
    write_record(path, TextRecord(**{**record.__dict__, "probe": tuple(-x for x in record.probe)}))
    with pytest.raises(Exception, match="differ"):
        text_encoder._open(cache / "text" / record.onnx, read_record(path))
    assert isinstance(load_text_encoder(DEMO), OnnxTextEncoder)  # exported again
    assert read_record(path).probe == record.probe


def test_changed_weights_file_invalidates_the_record(tmp_path: Path):
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"one")
    record = TextRecord(
        load_text_encoder(DEMO).identity, "x.onnx", weights=weights_stamp(str(weights))
    )
    write_record(tmp_path / "r.json", record)
    assert read_record(tmp_path / "r.json") == record
    weights.write_bytes(b"other")
    assert read_record(tmp_path / "r.json") is None
    (tmp_path / "r.json").write_text("{not json")
    assert read_record(tmp_path / "r.json") is None


def test_a_changed_model_config_is_another_record(tmp_path: Path, monkeypatch):
    # random weights have no file to retire the record: a new release of the demo model's
    # config (its image size) once left the old record's identity in place, and a library
    # indexed with the new config refused every text query as another model
    folder = tmp_path / "demo"
    shutil.copytree(demo_model_dir(), folder)
    monkeypatch.setenv("VIDSEEK_DEMO_MODEL_DIR", str(folder))
    before = text_encoder.lookup_key("vidseek-demo:random")
    config = json.loads((folder / "open_clip_config.json").read_text())
    config["model_cfg"]["vision_cfg"]["image_size"] *= 2
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    assert text_encoder.lookup_key("vidseek-demo:random") != before
    assert (
        load_text_encoder("vidseek-demo:random").identity
        == load_encoder("vidseek-demo:random").identity
    )


def test_torch_when_asked_or_without_onnxruntime(monkeypatch: pytest.MonkeyPatch):
    assert load_text_encoder(DEMO, backend="torch").backend == "torch"
    monkeypatch.setenv("VIDSEEK_ENCODER_BACKEND", "torch")
    assert load_text_encoder(DEMO).backend == "torch"
    monkeypatch.delenv("VIDSEEK_ENCODER_BACKEND")
    monkeypatch.setattr(text_encoder, "_installed", lambda package: False)
    assert load_text_encoder(DEMO).backend == "torch"


def test_images_are_refused():
    with pytest.raises(Exception, match="texts only"):
        load_text_encoder(DEMO).encode_images([np.zeros((8, 8, 3), np.uint8)])
