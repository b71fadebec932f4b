"""Near-duplicates: videos that are copies of each other, and clips that two videos share.

Candidates come from the vector index, never from all pairs: every segment vector of a video
is a query for its ``neighbours`` nearest segments, and a pair of videos is a candidate when
some segment of one is nearly ``min_similarity`` alike a segment of the other. The cost is
O(segments x one index query), and only candidates are compared frame by frame
(``search/alignment.py``, ~1 frame vector per second, as indexed).

A candidate is kept when its aligned run covers

- ``min_coverage`` of both videos: a **copy** (re-encoded, resized, cropped, trimmed), or
- at least ``min_shared`` seconds and crosses a change of picture: a **clip** that both show
  (a clip of one inside the other, or the same footage in both). One similar-looking shot is
  not enough: it pins no offset, and distinct videos show similar shots.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.search.alignment import Alignment, align, frame_step
from vidseek.search.candidates import candidate_pairs

Kind = Literal["copy", "clip"]
FRAME_CACHE = 256  # videos whose frame vectors are kept while candidates are checked
# A candidate's segments may be this much less alike than its frames must be: a trimmed or
# spliced copy is cut into segments at other places, so its pooled vectors mix other frames.
CANDIDATE_MARGIN = 0.1


@dataclass(frozen=True)
class DuplicateOptions:
    min_similarity: float = 0.9  # cosine of aligned frames (and of a candidate's segments)
    min_coverage: float = 0.7  # a copy's aligned run covers this much of both videos
    min_shared: float = 5.0  # seconds: a shared clip is at least this long
    neighbours: int = 16  # nearest segments looked at per segment

    def validate(self) -> None:
        if not 0.0 < self.min_similarity <= 1.0:
            raise QueryError(f"min_similarity is a cosine in (0, 1], got {self.min_similarity}")
        if not 0.0 < self.min_coverage <= 1.0:
            raise QueryError(f"min_coverage is a fraction in (0, 1], got {self.min_coverage}")
        if not self.min_shared > 0.0:
            raise QueryError(f"min_shared is a positive number of seconds, got {self.min_shared}")
        if not 1 <= self.neighbours <= 1000:
            raise QueryError(f"neighbours must be between 1 and 1000, got {self.neighbours}")


@dataclass(frozen=True)
class DuplicatePair:
    """Video ``a`` (the lower id) from ``a_start`` to ``a_end`` is what ``b`` shows from
    ``b_start`` to ``b_end``: ``t_b = t_a + offset``."""

    a: int
    b: int
    kind: Kind
    offset: float
    a_start: float
    a_end: float
    b_start: float
    b_end: float
    similarity: float
    coverage_a: float
    coverage_b: float

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DuplicatePair:
        return cls(**raw)

    def other(self, video_id: int) -> tuple[int, float]:
        """The other video of the pair and its offset from ``video_id`` (t_other = t + d)."""
        return (self.b, self.offset) if video_id == self.a else (self.a, -self.offset)

    def span_of(self, video_id: int) -> tuple[float, float]:
        return (self.a_start, self.a_end) if video_id == self.a else (self.b_start, self.b_end)


@dataclass
class DuplicateReport:
    pairs: list[DuplicatePair]
    videos: int = 0  # videos with indexed segments
    candidates: int = 0  # pairs compared frame by frame (this run; 0 when all were cached)
    seconds: float = 0.0  # time spent finding them (this run)
    search_seconds: float = 0.0  # of which querying the vector index for candidates
    paths: dict[int, str] = field(default_factory=dict)  # of the videos in pairs (with_paths)
    _links: dict[int, list[DuplicatePair]] | None = field(default=None, repr=False)

    def copies(self) -> list[DuplicatePair]:
        return [p for p in self.pairs if p.kind == "copy"]

    def clips(self) -> list[DuplicatePair]:
        return [p for p in self.pairs if p.kind == "clip"]

    def links(self, video_id: int) -> list[DuplicatePair]:
        """Every pair ``video_id`` is in."""
        if self._links is None:
            links: dict[int, list[DuplicatePair]] = {}
            for p in self.pairs:
                links.setdefault(p.a, []).append(p)
                links.setdefault(p.b, []).append(p)
            self._links = links
        return self._links.get(video_id, [])

    def clusters(self) -> list[list[tuple[int, float]]]:
        """Groups of videos that are copies of each other (transitively): each a list of
        ``(video id, offset from the group's first video)``, ids ascending."""
        parent: dict[int, int] = {}

        def root(v: int) -> int:
            parent.setdefault(v, v)
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        copies = self.copies()
        for p in copies:
            ra, rb = root(p.a), root(p.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        members: dict[int, list[int]] = {}
        for v in parent:
            members.setdefault(root(v), []).append(v)
        out = []
        for first in sorted(members):
            offsets = _offsets_from(first, copies)
            out.append([(v, round(offsets.get(v, 0.0), 3)) for v in sorted(members[first])])
        return out

    def with_paths(self, library: Library) -> DuplicateReport:
        """This report, knowing the path of every video in it."""
        for v in {p.a for p in self.pairs} | {p.b for p in self.pairs}:
            if v not in self.paths:
                self.paths[v] = library.video(v).path
        return self

    def to_json(self) -> dict[str, Any]:
        """``copies``: groups of videos that are copies of each other, each video with its
        offset from the group's first (``t = t_first + offset``); ``shared_clips``: the
        moments two videos share; ``pairs``: every pair found."""
        groups = []
        for cluster in self.clusters():
            ids = {v for v, _ in cluster}
            sims = [p.similarity for p in self.copies() if p.a in ids]
            groups.append(
                {
                    "similarity": round(min(sims), 3),
                    "videos": [
                        {"video_id": v, "path": self.paths.get(v, ""), "offset": d}
                        for v, d in cluster
                    ],
                }
            )
        shared = [
            {
                "similarity": round(p.similarity, 3),
                "offset": round(p.offset, 3),
                "duration": round(p.a_end - p.a_start, 3),
                "moments": [
                    self._moment(p.a, p.a_start, p.a_end),
                    self._moment(p.b, p.b_start, p.b_end),
                ],
            }
            for p in self.clips()
        ]
        return {
            "videos": self.videos,
            "candidates": self.candidates,
            "seconds": round(self.seconds, 3),
            "copies": groups,
            "shared_clips": shared,
            "pairs": [p.to_json() for p in self.pairs],
        }

    def _moment(self, video_id: int, start: float, end: float) -> dict[str, Any]:
        path = self.paths.get(video_id, "")
        return {"video_id": video_id, "path": path, "start": round(start, 3), "end": round(end, 3)}


def _offsets_from(first: int, copies: list[DuplicatePair]) -> dict[int, float]:
    """Offset of each copy reachable from ``first`` (t_v = t_first + offset), breadth first."""
    offsets, frontier = {first: 0.0}, [first]
    while frontier:
        nxt = []
        for v in frontier:
            for p in copies:
                if v in (p.a, p.b):
                    other, d = p.other(v)
                    if other not in offsets:
                        offsets[other] = offsets[v] + d
                        nxt.append(other)
        frontier = nxt
    return offsets


def find_duplicates(
    library: Library,
    options: DuplicateOptions | None = None,
    videos: Collection[int] | None = None,
) -> DuplicateReport:
    """Copies and shared clips among the library's videos; with ``videos``, only the pairs
    that involve one of them (an incremental update)."""
    options = options or DuplicateOptions()
    options.validate()
    started = time.perf_counter()
    model = library.model
    if model is None:
        return DuplicateReport([])
    table = library.catalog.segment_table()
    n_videos = len(np.unique(table.video_ids))
    query_ids = None
    if videos is not None:
        query_ids = table.ids[np.isin(table.video_ids, np.fromiter(videos, dtype=np.int64))]
        if not len(query_ids):
            return DuplicateReport([], n_videos)
    floor = options.min_similarity - CANDIDATE_MARGIN
    candidates, searching = candidate_pairs(library, table, query_ids, options.neighbours, floor)
    pairs = list(_verify(library, sorted(candidates), options))
    seconds = time.perf_counter() - started
    return DuplicateReport(pairs, n_videos, len(candidates), seconds, searching)


def _verify(
    library: Library, candidates: Iterable[tuple[int, int]], options: DuplicateOptions
) -> Iterable[DuplicatePair]:
    frames: OrderedDict[int, tuple[np.ndarray, np.ndarray, float]] = OrderedDict()

    def load(video_id: int) -> tuple[np.ndarray, np.ndarray, float]:
        if video_id in frames:
            frames.move_to_end(video_id)
            return frames[video_id]
        times, vectors = library.frames(video_id)
        length = float(times[-1]) + frame_step(times) if len(times) else 0.0
        duration = library.video(video_id).duration or length
        frames[video_id] = (times, vectors, max(duration, length, 1e-6))
        if len(frames) > FRAME_CACHE:
            frames.popitem(last=False)
        return frames[video_id]

    for a, b in candidates:
        ta, va, dur_a = load(a)
        tb, vb, dur_b = load(b)
        found = align(ta, va, tb, vb, options.min_similarity)
        if found is not None:
            pair = classify(a, b, found, dur_a, dur_b, options)
            if pair is not None:
                yield pair


def classify(
    a: int, b: int, found: Alignment, dur_a: float, dur_b: float, options: DuplicateOptions
) -> DuplicatePair | None:
    """A copy, a shared clip, or nothing (see the module's doc)."""
    cov_a = min(found.duration / dur_a, 1.0)
    cov_b = min(found.duration / dur_b, 1.0)
    if cov_a >= options.min_coverage and cov_b >= options.min_coverage:
        kind: Kind = "copy"
    elif found.duration >= options.min_shared and found.changes:
        kind = "clip"
    else:
        return None
    numbers = {
        "offset": found.offset,
        "a_start": found.a_start,
        "a_end": min(found.a_end, dur_a),
        "b_start": max(found.b_start, 0.0),
        "b_end": min(found.b_end, dur_b),
        "similarity": found.similarity,
        "coverage_a": cov_a,
        "coverage_b": cov_b,
    }  # rounded as stored, so a pair found now equals one read back from the catalog
    return DuplicatePair(a=a, b=b, kind=kind, **{k: round(v, 3) for k, v in numbers.items()})
