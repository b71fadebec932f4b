"""The torch-free CLIP BPE tokenizer gives open_clip's token ids."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from vidseek.core.models.clip_tokenizer import ClipTokenizer, vocab_path

open_clip = pytest.importorskip("open_clip")

TEXTS = [
    "a red circle on a blue background",
    "",
    "   ",
    "  Hello   WORLD!!  multiple\tspaces\nand lines ",
    "una estrella amarilla sobre fondo negro",
    "ein gelber Stern auf schwarzem Hintergrund, größer",
    "日本語のテキスト",
    "一个红色的圆圈",
    "Ünïcödé façade — naïve café",
    "&amp; html &lt;b&gt;entities&lt;/b&gt; &#39;quoted&#39;",
    "emoji 🐶🏖️ on a beach 👍🏽",
    "it's they're we've I'm you'll he'd DON'T",
    "123 4567 3.14159 1,000,000",
    "mojibake: donâ€™t",
    "x" * 500,
    " ".join(["a long query that runs past the context length"] * 20),
    "<start_of_text> literal special tokens <end_of_text>",
]


@pytest.fixture(scope="module")
def ours() -> ClipTokenizer:
    return ClipTokenizer()


def test_same_ids_as_open_clip(ours: ClipTokenizer):
    reference = open_clip.get_tokenizer("ViT-B-32")
    got = ours.ids(TEXTS)
    want = reference(TEXTS).numpy()
    assert got.dtype == np.int64 and got.shape == want.shape == (len(TEXTS), 77)
    for text, a, b in zip(TEXTS, got, want, strict=True):
        assert a.tolist() == b.tolist(), text


def test_long_text_is_truncated_with_end_of_text(ours: ClipTokenizer):
    row = ours.ids("word " * 200)[0]
    assert row[0] == ours.sot and row[-1] == ours.eot and (row != 0).all()
    short = ours.ids(["a dog"], context_length=8)
    assert short.shape == (1, 8)
    assert short[0].tolist() == open_clip.tokenize(["a dog"], context_length=8)[0].tolist()


def test_empty_text_is_start_and_end(ours: ClipTokenizer):
    assert ours.ids("")[0, :3].tolist() == [ours.sot, ours.eot, 0]
    assert ours.vocab_size == 49408


def test_found_and_loaded_without_torch():
    code = (
        "import sys; from vidseek.core.models.clip_tokenizer import ClipTokenizer; "
        "ClipTokenizer().ids('a photo of a dog'); "
        "print([m for m in ('torch', 'open_clip') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert vocab_path().name == "bpe_simple_vocab_16e6.txt.gz"
