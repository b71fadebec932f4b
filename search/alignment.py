"""Where two videos show the same pictures: the time offset between them, found by voting
over their per-frame vectors (~1 per second, stored by the indexer).

Every pair of frames at least ``min_similarity`` alike votes for an offset ``t_b - t_a``.
The most voted offsets are each scored by the longest run of ``a``'s frames whose counterpart
in ``b`` at that offset is alike too (one odd frame inside a run is forgiven: a re-encode can
spoil one); the longest run wins, then the most alike. Within one static shot every nearby
offset matches, so the shot's edges decide the offset: a run that crosses a change of picture
pins it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

CHANGE_SIMILARITY = 0.8  # frames of a run this unlike each other show a change of picture
MAX_OFFSETS = 64  # offsets tried per pair, the most voted for
BLOCK = 4_000_000  # frame pairs compared at once (16 MB of float32)


@dataclass(frozen=True)
class Alignment:
    """``a`` from ``a_start`` to ``a_end`` shows what ``b`` shows ``offset`` seconds later."""

    offset: float  # t_b - t_a, seconds
    a_start: float
    a_end: float
    similarity: float  # mean cosine of the aligned frames
    frames: int  # aligned frames in the run
    changes: bool  # the run crosses a change of picture (so the offset is pinned)

    @property
    def duration(self) -> float:
        return self.a_end - self.a_start

    @property
    def b_start(self) -> float:
        return self.a_start + self.offset

    @property
    def b_end(self) -> float:
        return self.a_end + self.offset


def frame_step(times: np.ndarray) -> float:
    """The sampling interval of a video's frame times (1 s when it cannot be told)."""
    if len(times) < 2:
        return 1.0
    return float(np.median(np.diff(times)))


def align(
    ta: np.ndarray, va: np.ndarray, tb: np.ndarray, vb: np.ndarray, min_similarity: float
) -> Alignment | None:
    """The best alignment of video ``a`` (frame times ``ta``, unit vectors ``va``) with ``b``,
    or None when no two frames are ``min_similarity`` alike."""
    if not len(ta) or not len(tb):
        return None
    offsets = _voted_offsets(ta, va, tb, vb, min_similarity)
    if not len(offsets):
        return None
    step_a = frame_step(ta)
    tolerance = 0.5 * max(step_a, frame_step(tb)) + 1e-6
    best: tuple[float, float, int, int, float] | None = None  # duration, mean, first, last, d
    for d in offsets:
        target = ta + d
        hi = np.minimum(np.searchsorted(tb, target), len(tb) - 1)
        lo = np.maximum(hi - 1, 0)
        j = np.where(np.abs(tb[lo] - target) <= np.abs(tb[hi] - target), lo, hi)
        near = np.abs(tb[j] - target) <= tolerance
        frame_sims = np.where(near, np.einsum("ij,ij->i", va, vb[j]), -1.0)
        run = _longest_run(np.flatnonzero(frame_sims >= min_similarity))
        if run is None:
            continue
        first, last = run
        inside = frame_sims[first : last + 1]
        mean = float(inside[inside >= min_similarity].mean())
        duration = float(ta[last] - ta[first]) + step_a
        key = (round(duration, 6), mean)
        if best is None or key > (round(best[0], 6), best[1]):
            best = (duration, mean, first, last, float(d))
    if best is None:
        return None
    _, mean, first, last, d = best
    picked = np.unique(np.linspace(first, last, min(last - first + 1, 256)).astype(np.int64))
    run_vectors = va[picked]  # a long run is judged on 256 of its frames
    changes = bool((run_vectors @ run_vectors.T).min() < CHANGE_SIMILARITY)
    return Alignment(
        offset=d,
        a_start=float(ta[first]),
        a_end=float(ta[last]) + step_a,
        similarity=mean,
        frames=last - first + 1,
        changes=changes,
    )


def _voted_offsets(
    ta: np.ndarray, va: np.ndarray, tb: np.ndarray, vb: np.ndarray, min_similarity: float
) -> np.ndarray:
    """The ``MAX_OFFSETS`` offsets most pairs of alike frames vote for (a long static shot
    votes for thousands: trying each would cost frames x offsets). The similarity matrix is
    taken a block of rows at a time, so two long videos never hold it whole."""
    votes: Counter[float] = Counter()
    rows = max(1, BLOCK // max(len(tb), 1))
    for start in range(0, len(ta), rows):
        block = va[start : start + rows] @ vb.T
        r, c = np.nonzero(block >= min_similarity)
        values, counts = np.unique(np.round(tb[c] - ta[r + start], 3), return_counts=True)
        votes.update(dict(zip(values.tolist(), counts.tolist(), strict=True)))
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))[:MAX_OFFSETS]
    return np.array(sorted(d for d, _ in ranked), dtype=np.float64)


def _longest_run(matched: np.ndarray) -> tuple[int, int] | None:
    """First and last index of the longest run of ``matched`` (sorted frame indices) in
    which consecutive indices are at most 2 apart (one unmatched frame is forgiven)."""
    if not len(matched):
        return None
    breaks = np.flatnonzero(np.diff(matched) > 2)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(matched) - 1]])
    k = int(np.argmax(matched[ends] - matched[starts]))
    return int(matched[starts[k]]), int(matched[ends[k]])
