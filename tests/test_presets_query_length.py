"""Queries longer than a 32-token context (PE-Core): cut to fit, with a warning.

The English presets read 32 tokens. The query path tokenises with the torch-free CLIP BPE
port and runs the exported text tower; the torch path uses open_clip's tokenizer. Both cut
a long query exactly as PE-Core's own tokenizer does and log a warning naming the query.
The end-to-end check runs PE-Core-T (the family's smallest, random weights) through the
query path: its text tower exported to ONNX like any library's model.
"""

from __future__ import annotations

import importlib.util
import logging

import numpy as np
import open_clip
import pytest

from tests.conftest import skip_or_fail_in_ci
from vidseek.core.models import load_encoder
from vidseek.core.models.byte_tokenizer import ByteTokenizer
from vidseek.core.models.clip_tokenizer import ClipTokenizer
from vidseek.core.models.query_length import check_open_clip
from vidseek.core.models.text_encoder import OnnxTextEncoder, load_text_encoder

LONG = (
    "a man in a red jacket walks his small brown dog along a rainy street at night while "
    "cars pass behind him and a woman with an umbrella waits at the bus stop"
)
SHORT = "a man walks his dog"
LOGGER = "vidseek.core.models.query_length"
# The smallest PE-Core (same text tower code and 32-token CLIP BPE context as the presets)
PE_TINY = "PE-Core-T-16-384:random"


def cut_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_pe_core_reads_32_tokens_and_the_port_cuts_like_it(caplog):
    pe = open_clip.get_tokenizer("PE-Core-B-16")
    assert pe.context_length == 32
    assert len(pe.encode(LONG)) + 2 > 32  # LONG really is too long
    port = ClipTokenizer(32)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert np.array_equal(port.ids([SHORT]), pe([SHORT]).numpy())
        assert cut_warnings(caplog) == []
        assert np.array_equal(port.ids([LONG]), pe([LONG]).numpy())
    (message,) = cut_warnings(caplog)
    assert "32-token context" in message and "first 30 of 33 tokens" in message
    assert "a man in a red" in message


def test_torch_path_warns_with_open_clip_tokenizers(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        check_open_clip(open_clip.get_tokenizer("PE-Core-B-16"), [SHORT, LONG])
        check_open_clip(open_clip.get_tokenizer("ViT-B-32"), [LONG])  # 77 tokens: fits
    assert len(cut_warnings(caplog)) == 1


def test_byte_tokenizer_warns_too(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        ids = ByteTokenizer(16).ids([LONG, "short"])
    assert ids[0, -1] == 258 and len(cut_warnings(caplog)) == 1


def test_query_path_cuts_long_queries_with_a_warning(tmp_path, monkeypatch, caplog):
    if importlib.util.find_spec("onnxruntime") is None:
        skip_or_fail_in_ci("onnxruntime is not installed (pip install 'vidseek[fast]')")
    monkeypatch.setenv("VIDSEEK_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("VIDSEEK_ENCODER_BACKEND", raising=False)
    encoder = load_text_encoder(PE_TINY)
    assert isinstance(encoder, OnnxTextEncoder)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        long_vec, short_vec = encoder.encode_texts([LONG, SHORT])
    assert len(cut_warnings(caplog)) == 1  # the long one only
    # what was searched is the query's start: the longest prefix of words that fits
    prefix = " ".join(LONG.split()[:30])  # one BPE token per word here: the first 30 tokens
    assert len(ClipTokenizer(32).encode(prefix)) == 30
    (prefix_vec, longer_vec) = encoder.encode_texts([prefix, LONG + " and then it rains"])
    assert float(long_vec @ prefix_vec) > 0.9999 and float(long_vec @ longer_vec) > 0.9999
    assert float(long_vec @ short_vec) < 0.9999
    # the torch encoder agrees and warns the same way
    reference = load_encoder(PE_TINY, device="cpu", backend="torch")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        (torch_vec,) = reference.encode_texts([LONG])
    assert len(cut_warnings(caplog)) == 1
    assert float(torch_vec @ long_vec) > 0.999
