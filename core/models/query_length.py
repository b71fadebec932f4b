"""Queries longer than a model's text context: cut to fit, with a warning that says so.

PE-Core reads 32 tokens and CLIP 77: a longer query is truncated (keeping the end-of-text
marker, as open_clip does) and ``warn_cut`` logs which query lost how many tokens, so a user
who pastes a paragraph learns that only its start was searched. The tokenizers vidseek
runs without torch (``ClipTokenizer``, ``ByteTokenizer``) call it where they cut;
``check_open_clip`` does the same for open_clip's own tokenizers on the torch path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)
_quiet = threading.local()


def warn_cut(text: str, tokens: int, context_length: int) -> None:
    """Log that ``text`` (``tokens`` long with its start and end markers) was cut."""
    if getattr(_quiet, "on", False):
        return
    preview = text if len(text) <= 60 else text[:57] + "..."
    logger.warning(
        "query longer than the model's %d-token context: only its first %d of %d tokens are "
        "searched (%r); shorten it or split it into several searches",
        context_length,
        context_length - 2,  # less the start and end markers
        tokens - 2,
        preview,
    )


@contextmanager
def quiet() -> Iterator[None]:
    """No warnings inside (for texts that are long on purpose, e.g. export checks)."""
    before = getattr(_quiet, "on", False)
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = before


def check_open_clip(tokenizer: Any, texts: Sequence[str]) -> None:
    """``warn_cut`` for each of ``texts`` that open_clip's ``tokenizer`` will cut.

    Knows open_clip's CLIP BPE (``SimpleTokenizer``) and Hugging Face (``HFTokenizer``)
    tokenizers; vidseek's own tokenizers warn by themselves and are skipped here.
    """
    context = getattr(tokenizer, "context_length", None)
    count = _counter(tokenizer)
    if not context or count is None:
        return
    for text in texts:
        tokens = count(text)
        if tokens > context:
            warn_cut(text, tokens, context)


def _counter(tokenizer: Any):
    """Texts → token count including start/end markers, for open_clip's tokenizers."""
    kind = type(tokenizer).__name__
    if kind == "SimpleTokenizer" and getattr(tokenizer, "reduction_fn", None) is None:
        return lambda text: len(tokenizer.encode(text)) + 2  # encode cleans the text itself
    if kind == "HFTokenizer" and hasattr(tokenizer, "tokenizer"):
        return lambda text: len(tokenizer.tokenizer(text)["input_ids"])
    return None
