"""open_clip's CLIP BPE tokenizer (``SimpleTokenizer``, clean="lower") without torch.

Same rules and the same vocabulary file (``bpe_simple_vocab_16e6.txt.gz``, found inside the
installed open_clip package without importing it, since that imports torch), so the ids equal
open_clip's; tests/test_clip_tokenizer.py checks that on a varied set of strings.
"""

from __future__ import annotations

import gzip
import html
import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from vidseek.core.errors import ModelError
from vidseek.core.models.query_length import warn_cut

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
N_MERGES = 49152 - 256 - 2
SPECIAL = ("<start_of_text>", "<end_of_text>")
_PATTERN = (
    r"""<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
)


def vocab_path() -> Path:
    """open_clip's bundled BPE merges file."""
    spec = importlib.util.find_spec("open_clip")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / VOCAB_FILE
        if path.is_file():
            return path
    raise ModelError(f"open_clip's {VOCAB_FILE} not found: pip install open_clip_torch")


class ClipTokenizer:
    """Texts → int64 ids (n, context_length): start, BPE tokens, end, zero padding."""

    def __init__(self, context_length: int = 77, path: Path | None = None) -> None:
        import regex

        self.context_length = context_length
        self._byte_encoder = _bytes_to_unicode()
        self._encoder, self._ranks = _tables(str(path or vocab_path()))
        self.sot, self.eot = (self._encoder[t] for t in SPECIAL)
        self.vocab_size = len(self._encoder)
        self._pattern = regex.compile(_PATTERN, regex.IGNORECASE)
        self._cache: dict[str, str] = {t: t for t in SPECIAL}

    def ids(self, texts: str | Sequence[str], context_length: int | None = None) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        length = context_length or self.context_length
        out = np.zeros((len(texts), length), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [self.sot, *self.encode(text), self.eot]
            if len(tokens) > length:  # truncate, keeping the end-of-text marker
                warn_cut(text, len(tokens), length)
                tokens = tokens[:length]
                tokens[-1] = self.eot
            out[row, : len(tokens)] = tokens
        return out

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for token in self._pattern.findall(_clean(text)):
            chars = "".join(self._byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self._encoder[piece] for piece in self._bpe(chars).split(" "))
        return ids

    def _bpe(self, token: str) -> str:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        word = (*token[:-1], token[-1] + "</w>")
        ranks, unknown = self._ranks, N_MERGES + 1
        while len(word) > 1:
            pairs = {f"{a} {b}" for a, b in zip(word, word[1:], strict=False)}
            best = min(pairs, key=lambda pair: ranks.get(pair, unknown))
            if best not in ranks:
                break
            word = _merge(word, *best.split(" "))
        self._cache[token] = " ".join(word)
        return self._cache[token]


def _merge(word: tuple[str, ...], first: str, second: str) -> tuple[str, ...]:
    merged: list[str] = []
    i = 0
    while i < len(word):
        if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
            merged.append(first + second)
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)


def _clean(text: str) -> str:
    import ftfy

    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return " ".join(text.split()).lower()


@lru_cache
def _bytes_to_unicode() -> dict[int, str]:
    """Printable stand-ins for every byte, as in CLIP (whitespace and controls remapped)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    codes = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, codes, strict=True)}


@lru_cache(maxsize=2)
def _tables(path: str) -> tuple[dict[str, int], dict[str, int]]:
    """Token ids, and merge ranks keyed by the merge's line ("first second")."""
    merges = gzip.open(path).read().decode("utf-8").split("\n")[1 : N_MERGES + 1]
    base = list(_bytes_to_unicode().values())
    vocab = [*base, *(v + "</w>" for v in base), *(m.replace(" ", "") for m in merges), *SPECIAL]
    return {v: i for i, v in enumerate(vocab)}, {m: i for i, m in enumerate(merges)}
