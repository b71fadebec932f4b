"""Export a model's text tower to ONNX for ``text_encoder`` (the one step that needs torch).

The graph is cached by a digest of the model's weights and architecture plus the exporter
setup (``export.cached_file``: atomic, under a file lock, shared by parallel processes), and
kept only when ONNX Runtime's vectors agree with torch's (cosine >= ``MIN_COSINE``) on texts
of several scripts and lengths, tokenised by the torch-free tokenizer the record names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidseek.core.models import export, query_length
from vidseek.core.models.clip_tokenizer import ClipTokenizer
from vidseek.core.models.factory import load_encoder
from vidseek.core.models.text_encoder import (
    MIN_COSINE,
    PROBE_TEXT,
    TEXT_FORMAT,
    OnnxTextEncoder,
    TextRecord,
    cosine,
    weights_stamp,
)

INPUT, OUTPUT = "tokens", "embedding"
CHECK_TEXTS = (
    PROBE_TEXT,
    "",
    "una estrella amarilla sobre fondo verde",
    "日本語のテキストと絵文字 🐶",
    "Ünïcödé façade &amp; naïve café, it's 3.14!",
    " ".join(["a long query that runs past the context length"] * 12),
)


def export_text(spec: str, folder: Path, *, fresh: bool = False) -> TextRecord:
    """Load ``spec`` on torch, export its text tower into ``folder`` and check it.

    The record's ``onnx`` is None (with a ``reason``) when the model's tokenizer has no
    torch-free port or the export disagrees with torch: its queries then stay on torch.
    """
    encoder = load_encoder(spec, device="cpu", backend="torch")
    identity = encoder.identity
    weights = identity.weights_sha256 and _weights_path(spec)
    stamp = weights_stamp(weights) if weights else None
    kind, context = _tokenizer_kind(encoder)
    if not kind:
        reason = f"its tokenizer ({type(encoder.tokenizer).__name__}) needs torch"
        return TextRecord(identity, None, weights=stamp, reason=reason)
    path, _ = _cached_graph(encoder, context, folder, fresh)
    record = TextRecord(identity, path.name, kind, context, weights=stamp)
    onnx = OnnxTextEncoder(path, record)
    with query_length.quiet():  # CHECK_TEXTS are long on purpose
        got = onnx.encode_texts(CHECK_TEXTS)
        want = encoder.encode_texts(CHECK_TEXTS)
    worst = min(cosine(a, b) for a, b in zip(got, want, strict=True))
    if worst < MIN_COSINE:
        reason = f"ONNX Runtime disagrees with torch (cosine {worst:.4f} < {MIN_COSINE})"
        return TextRecord(identity, None, weights=stamp, reason=reason)
    probe = tuple(float(x) for x in got[0])
    return TextRecord(identity, path.name, kind, context, probe, stamp)


def _tokenizer_kind(encoder) -> tuple[str, int]:
    """("bytes" | "clip-bpe", context length) when a torch-free tokenizer gives the same ids."""
    from vidseek.core.models.byte_tokenizer import ByteTokenizer

    tokenizer = encoder.tokenizer
    if isinstance(tokenizer, ByteTokenizer):
        return "bytes", tokenizer.context_length
    from open_clip.tokenizer import SimpleTokenizer

    if type(tokenizer) is not SimpleTokenizer or tokenizer.reduction_fn is not None:
        return "", 0
    port = ClipTokenizer(tokenizer.context_length)
    with query_length.quiet():
        same = np.array_equal(port.ids(list(CHECK_TEXTS)), tokenizer(list(CHECK_TEXTS)).numpy())
    return ("clip-bpe", tokenizer.context_length) if same else ("", 0)


def _cached_graph(encoder, context: int, folder: Path, fresh: bool) -> tuple[Path, bool]:
    import torch

    model = encoder.model
    header = f"{TEXT_FORMAT}|opset {export.OPSET}|torch {torch.__version__}|{context}|{model!r}"
    name = f"{export.module_digest(model, header)[:32]}.onnx"
    example = encoder.tokenizer(["a photo", "of a dog"])

    def write(tmp: Path) -> None:
        export.to_onnx(model, "encode_text", example, tmp, INPUT, OUTPUT)

    return export.cached_file(folder, name, write, fresh=fresh)


def _weights_path(spec: str) -> str | None:
    from vidseek.core.models.naming import resolve

    resolved = resolve(spec)
    return resolved.weights if resolved.kind in ("file", "local-dir") else None
