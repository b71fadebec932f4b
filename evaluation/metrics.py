"""Standard retrieval metrics as pure functions over ranks, score matrices and time spans.

Conventions follow the video-retrieval literature (MSR-VTT, MSVD, DiDeMo, Charades-STA):
recalls are percentages, ranks are 1-based, a query with several correct items counts the
best-ranked one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

RECALL_KS = (1, 5, 10)
MOMENT_KS = (1, 5)
IOU_THRESHOLDS = (0.5, 0.7)


def rank_of_first(ranked: Sequence[object], correct: Iterable[object]) -> int:
    """1-based position of the first correct item in ``ranked``; ``len(ranked) + 1`` if none."""
    wanted = set(correct)
    for position, item in enumerate(ranked, 1):
        if item in wanted:
            return position
    return len(ranked) + 1


def ranks_from_scores(scores: np.ndarray, correct: Sequence[Iterable[int]]) -> np.ndarray:
    """Rank of the best correct column for every row of a (queries × items) score matrix.

    A rank is ``1 +`` the number of items scoring strictly higher than the best correct item,
    so ties count in the query's favour and the result does not depend on column order.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or len(correct) != scores.shape[0]:
        raise ValueError("scores must be (n_queries, n_items) with one correct set per query")
    ranks = np.empty(scores.shape[0], dtype=np.int64)
    for row, columns in enumerate(correct):
        columns = list(columns)
        if not columns:
            raise ValueError(f"query {row} has no correct item")
        best = scores[row, columns].max()
        ranks[row] = 1 + int(np.count_nonzero(scores[row] > best))
    return ranks


def recall_at(ranks: Sequence[int] | np.ndarray, k: int) -> float:
    """Percentage of queries whose correct item is within the top ``k``."""
    ranks = np.asarray(ranks)
    return float(100.0 * np.mean(ranks <= k)) if ranks.size else 0.0


def retrieval_metrics(
    ranks: Sequence[int] | np.ndarray, ks: Sequence[int] = RECALL_KS
) -> dict[str, float]:
    """R@k for every k, median rank (MdR), mean rank (MnR) and the number of queries."""
    ranks = np.asarray(ranks, dtype=np.float64)
    out: dict[str, float] = {f"R@{k}": recall_at(ranks, k) for k in ks}
    out["MdR"] = float(np.median(ranks)) if ranks.size else 0.0
    out["MnR"] = float(np.mean(ranks)) if ranks.size else 0.0
    out["n"] = int(ranks.size)
    return out


def temporal_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time spans ``(start, end)`` in seconds."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def moment_metrics(
    predictions: Sequence[Sequence[tuple[float, float]]],
    truths: Sequence[tuple[float, float]],
    ks: Sequence[int] = MOMENT_KS,
    thresholds: Sequence[float] = IOU_THRESHOLDS,
) -> dict[str, float]:
    """Moment retrieval: ``R@k,IoU>=t`` (percent of queries with a top-k span reaching IoU t),
    ``mIoU`` (mean IoU of the top-1 span, percent) and the number of queries.

    ``predictions[i]`` is the ranked list of spans returned for query ``i`` (may be empty).
    """
    if len(predictions) != len(truths):
        raise ValueError("one prediction list per ground-truth moment")
    ious = [
        [temporal_iou(p, truth) for p in preds]
        for preds, truth in zip(predictions, truths, strict=True)
    ]
    out: dict[str, float] = {}
    n = len(truths)
    for k in ks:
        for t in thresholds:
            hits = sum(1 for row in ious if any(v >= t for v in row[:k]))
            out[f"R@{k},IoU>={t}"] = 100.0 * hits / n if n else 0.0
    out["mIoU"] = 100.0 * float(np.mean([row[0] if row else 0.0 for row in ious])) if n else 0.0
    out["n"] = n
    return out


def no_match_metrics(
    absent_empty: Sequence[bool], present_empty: Sequence[bool], present_top_right: Sequence[bool]
) -> dict[str, float]:
    """How well a search says "nothing matches" (percentages).

    ``absent_empty``: per query for something absent, whether it came back empty;
    ``present_empty`` and ``present_top_right``: per query for something present, whether it
    came back empty and whether its top result is right. Precision: of the queries answered
    "no match", those whose thing was absent; recall: of the absent ones, those answered "no
    match"; ``R@1 kept``: present queries whose top result survives the cut-off and is right.
    """
    said = sum(absent_empty) + sum(present_empty)
    absent, present = len(absent_empty), len(present_top_right)
    return {
        "precision": 100.0 * sum(absent_empty) / said if said else 0.0,
        "recall": 100.0 * sum(absent_empty) / absent if absent else 0.0,
        "R@1 kept": 100.0 * sum(present_top_right) / present if present else 0.0,
        "n_absent": absent,
        "n_present": present,
    }
