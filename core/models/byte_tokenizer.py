"""A tokenizer that needs no vocabulary file: UTF-8 bytes, so every language works offline.

Ids: 0 padding, 1..256 the bytes, 257 start-of-text, 258 end-of-text. End-of-text has the
largest id so open_clip's default "argmax" text pooling picks it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vidseek.core.models.query_length import warn_cut

PAD, SOT, EOT = 0, 257, 258
VOCAB_SIZE = 259


class ByteTokenizer:
    def __init__(self, context_length: int = 64) -> None:
        self.context_length = context_length

    def __call__(self, texts: str | Sequence[str], context_length: int | None = None):
        """Token ids as a torch int64 tensor (n, context_length), like open_clip's tokenizers."""
        import torch

        return torch.from_numpy(self.ids(texts, context_length))

    def ids(self, texts: str | Sequence[str], context_length: int | None = None) -> np.ndarray:
        """Token ids as a numpy int64 array (n, context_length); needs no torch."""
        if isinstance(texts, str):
            texts = [texts]
        length = context_length or self.context_length
        out = np.full((len(texts), length), PAD, dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [SOT, *(b + 1 for b in text.strip().lower().encode("utf-8")), EOT]
            if len(ids) > length:  # keep the end-of-text marker when truncating
                warn_cut(text, len(ids), length)
                ids = ids[: length - 1] + [EOT]
            out[row, : len(ids)] = ids
        return out
