""" "A but not B": moments that show what the query asks for, less those that also show B.

A moment (a segment hit) shows B, and is dropped before hits are merged into clips, when

- it is at least as similar to B alone as to the query (it is more B than A), or
- adding B to A costs it less than ``NOT_MARGIN`` of its score for A alone:
  sim(moment, A + B) >= sim(moment, A) - NOT_MARGIN * |sim(moment, A)|, where A + B is the
  caption "A, B" for a text query, and the query's vector moved towards B's (the image + text
  nudge of ``search/query.py``) for an image or a moment. Without the second test an image
  query would exclude almost nothing: a text's vector sits farther from every moment than
  the image's look-alikes do, so "more B than A" rarely holds.

The second test asks the model whether the caption with B describes the moment as well as
the caption without it, so B is judged in the context of A: CLIP-like models score a bare
"a black background" poorly, but tell "a red circle, a black background" from "a red circle"
where the background is black (about -0.0 against -0.25 on the demo model, whose scores for
A are about 0.86). Scores are cosines of the library's stored segment vectors, read from the
catalog once per hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Hit

NOT_MARGIN = 0.1
MAX_NEGATIVES = 8


@dataclass(frozen=True)
class Negative:
    """One excluded thing: its vector alone and the query's with it (``compose`` for a text,
    the nudge for a vector)."""

    alone: np.ndarray
    with_query: np.ndarray | None = None


def compose(query: str, excluded: str) -> str:
    """The caption "query, excluded": a comma, so it reads the same in any language."""
    return f"{query.strip()}, {excluded.strip()}"


def check_negatives(texts: Sequence[str]) -> list[str]:
    """The excluded texts, stripped; QueryError for an empty one or too many."""
    if isinstance(texts, str):
        raise QueryError("not_texts is a list of texts, not one string")
    cleaned = [t.strip() for t in texts]
    if any(not t for t in cleaned):
        raise QueryError("an excluded text (--not) must not be empty")
    if len(cleaned) > MAX_NEGATIVES:
        raise QueryError(f"at most {MAX_NEGATIVES} excluded texts, got {len(cleaned)}")
    return cleaned


def shows_negative(
    vectors: np.ndarray, query: np.ndarray, negatives: Sequence[Negative]
) -> np.ndarray:
    """Per row of ``vectors`` (unit segment vectors): True where it shows a negative."""
    scores = vectors @ np.asarray(query, dtype=np.float32)
    shown = np.zeros(len(vectors), dtype=bool)
    for negative in negatives:
        shown |= vectors @ negative.alone >= scores
        if negative.with_query is not None:
            shown |= vectors @ negative.with_query >= scores - NOT_MARGIN * np.abs(scores)
    return shown


class NegativeFilter:
    """Drops the hits that show a negative; segment vectors are read from the catalog once
    each and kept for the later, wider rounds of the same search."""

    def __init__(self, library: Library, query: np.ndarray, negatives: Sequence[Negative]) -> None:
        self.library = library
        self.query = np.asarray(query, dtype=np.float32).reshape(-1)
        self.negatives = list(negatives)
        self._shown: dict[int, bool] = {}

    def __call__(self, hits: Sequence[Hit]) -> list[Hit]:
        if not self.negatives:
            return list(hits)
        missing = [h.segment_id for h in hits if h.segment_id not in self._shown]
        model = self.library.model
        if missing and model is not None:
            for ids, vectors in self.library.catalog.segment_vectors(model.dim, missing):
                shown = shows_negative(vectors, self.query, self.negatives)
                self._shown.update(zip(ids.tolist(), shown.tolist(), strict=True))
        # a segment gone from the catalog meanwhile is left to the caller's own handling
        return [h for h in hits if not self._shown.get(h.segment_id, False)]
