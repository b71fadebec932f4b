"""Query texts without torch: the text tower exported to ONNX, run by ONNX Runtime.

``load_text_encoder(spec)`` looks the model up in a small JSON record under
``$VIDSEEK_CACHE_DIR/text`` (keyed by the spec, the resolved weights file and the torch and
open_clip versions). The record holds what a search needs without loading the model: the
``ModelIdentity``, the tokenizer and the exported graph's file. The first call for a model
exports it (``text_export``, with torch; checked against torch at cosine >= 0.999); later
calls import neither torch nor open_clip. Where that cannot work (no ONNX Runtime, a Hugging
Face tokenizer, ``--encoder-backend torch``) the full torch encoder answers instead.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.core.errors import ModelError
from vidseek.core.models import backends
from vidseek.core.models.export import cache_root
from vidseek.core.models.naming import CONFIG_NAME, resolve_without_open_clip
from vidseek.core.types import Encoder, ModelIdentity

TEXT_FORMAT = "text-onnx-1"  # bump when the export or the record changes
MIN_COSINE = 0.999
PROBE_TEXT = "a red circle on a blue background"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextRecord:
    """What the cache knows about one model's exported text tower."""

    identity: ModelIdentity
    onnx: str | None  # file name in the cache folder; None: this model stays on torch
    tokenizer: str = ""  # "bytes" or "clip-bpe"
    context_length: int = 0
    probe: tuple[float, ...] = ()  # PROBE_TEXT's vector when exported: checks the file later
    weights: dict[str, Any] | None = None  # path, size, mtime_ns of a local weights file
    reason: str = ""  # why a model stays on torch

    def to_json(self) -> str:
        raw = {k: v for k, v in self.__dict__.items() if k != "identity"}
        return json.dumps({"format": TEXT_FORMAT, "identity": json.loads(self.identity.to_json())}
                          | raw, indent=1)  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> TextRecord:
        raw = json.loads(text)
        if raw.pop("format", None) != TEXT_FORMAT:
            raise ValueError("another record format")
        identity = ModelIdentity.from_json(json.dumps(raw.pop("identity")))
        return cls(identity=identity, **raw | {"probe": tuple(raw.get("probe", ()))})


class OnnxTextEncoder:
    """Texts → unit float32 rows through the exported text tower; no images."""

    backend = "onnxruntime"

    def __init__(self, path: Path, record: TextRecord, batch_size: int = 64) -> None:
        import onnxruntime as ort

        self.identity = record.identity
        self.batch_size = batch_size
        self.tokenize = _tokenizer(record.tokenizer, record.context_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def __repr__(self) -> str:
        return f"OnnxTextEncoder({self.identity.label!r}, dim={self.identity.dim})"

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        out = [self._run(self.tokenize(texts[i : i + self.batch_size]))
               for i in range(0, len(texts), self.batch_size)]  # fmt: skip
        if not out:
            return np.zeros((0, self.identity.dim), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        raise ModelError("this encoder embeds query texts only; load_encoder(spec) embeds images")

    def _run(self, ids: np.ndarray) -> np.ndarray:
        rows = self._session.run(None, {self._input: ids})[0].astype(np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.maximum(norms, 1e-12)


def load_text_encoder(spec: str, *, backend: str | None = None) -> Encoder:
    """An encoder for query texts of ``spec``, with the same identity and vectors (cosine
    >= 0.999) as ``load_encoder(spec)``, as cheap as possible: ONNX Runtime on the cached
    export; the export is made (with torch) on the first call. ``backend`` "torch" (or
    ``$VIDSEEK_ENCODER_BACKEND=torch``) asks for the torch encoder itself."""
    if backends.requested(backend) == "torch" or not _installed("onnxruntime"):
        return _torch_encoder(spec)
    record_path = folder() / f"{lookup_key(spec)}.json"
    record = read_record(record_path)
    if record is None:
        return _export_and_open(spec, record_path, fresh=False)
    if record.onnx is None:  # its tokenizer has no torch-free port, or ONNX disagreed
        return _torch_encoder(spec)
    try:
        return _open(folder() / record.onnx, record)
    except Exception as exc:  # a damaged file: export it again
        logger.warning("cached text export %s is unusable (%s); exporting again", record.onnx, exc)
        return _export_and_open(spec, record_path, fresh=True)


def folder() -> Path:
    return cache_root() / "text"


def lookup_key(spec: str) -> str:
    """Names a model's record from what is known without open_clip: the spec as written, the
    weights file it resolves to (demo, local-dir:) and the library versions that shape it."""
    spec = spec.strip()
    cheap = resolve_without_open_clip(spec)
    parts = [TEXT_FORMAT, spec, f"{cheap.model_name}|{cheap.weights}" if cheap else ""]
    parts += [_config_digest(cheap.model_name) if cheap else ""]
    parts += [f"{pkg} {_version(pkg)}" for pkg in ("torch", "open_clip_torch")]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _config_digest(model_name: str) -> str:
    """A folder model's config, by content: random weights have no file whose change would
    retire the record, and a new config (a new release of the demo model) is another model."""
    if not model_name.startswith("local-dir:"):
        return ""
    try:
        folder = Path(model_name.removeprefix("local-dir:"))
        return hashlib.sha256((folder / CONFIG_NAME).read_bytes()).hexdigest()
    except OSError:
        return ""


def read_record(path: Path) -> TextRecord | None:
    """The record at ``path``; None when missing, unreadable or its weights file changed."""
    try:
        record = TextRecord.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if record.weights is not None and record.weights != weights_stamp(record.weights["path"]):
        return None
    return record


def write_record(path: Path, record: TextRecord) -> None:
    """Atomically: readers see the old record or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(record.to_json())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def weights_stamp(path: str) -> dict[str, Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def _open(path: Path, record: TextRecord) -> OnnxTextEncoder:
    encoder = OnnxTextEncoder(path, record)
    got = encoder.encode_texts([PROBE_TEXT])[0]
    if got.shape != (record.identity.dim,) or cosine(got, np.array(record.probe)) < MIN_COSINE:
        raise ModelError("its vectors differ from those checked against torch")
    return encoder


def _export_and_open(spec: str, record_path: Path, *, fresh: bool) -> Encoder:
    if not _installed("onnx"):  # torch's exporter writes the graph with it
        return _torch_encoder(spec)
    from vidseek.core.models.text_export import export_text

    record = export_text(spec, folder(), fresh=fresh)
    write_record(record_path, record)
    if record.onnx is None:
        logger.info("query texts of %s run on torch: %s", spec, record.reason)
        return _torch_encoder(spec)
    return OnnxTextEncoder(folder() / record.onnx, record)


def _torch_encoder(spec: str) -> Encoder:
    from vidseek.core.models.factory import load_encoder

    return load_encoder(spec, backend="torch")  # texts only: no image tower to export


def _tokenizer(kind: str, context_length: int):
    if kind == "bytes":
        from vidseek.core.models.byte_tokenizer import ByteTokenizer

        return ByteTokenizer(context_length).ids
    if kind == "clip-bpe":
        from vidseek.core.models.clip_tokenizer import ClipTokenizer

        return ClipTokenizer(context_length).ids
    raise ModelError(f"unknown tokenizer {kind!r} in the text export record")


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "-"
