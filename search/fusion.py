"""One query, all evidence: the visual ranking (CLIP) and the keyword ranking (speech,
subtitles, on-screen text) fused into one list of moments.

Keyword hits of one video that overlap in time form one *text moment*; a text moment that
overlaps a visual clip of the same video joins it (``matched`` lists both kinds of evidence),
else it is a moment of its own. Two rules score the candidates:

- ``rrf``: reciprocal rank fusion, ``1/(60 + visual rank) + 1/(60 + keyword rank)``;
- ``score``: the moment's cosine similarity to the query (also computed, from the stored
  vectors, for text moments the visual search did not reach) plus ``TEXT_WEIGHT`` times its
  keyword score divided by the query's best keyword score.

Under both, moments whose text holds the whole query word for word come first (their scores
lifted just above every other moment's, so scores still fall with rank), and moments with no
text match keep their visual order. ``bench/fusion.py`` measures both rules
(bench/RESULTS.md, "Fusion"); ``DEFAULT_RULE`` is the better there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import EVIDENCE_KINDS, Clip, Hit
from vidseek.search.clips import cap_per_video
from vidseek.search.exclusion import NegativeFilter
from vidseek.search.filters import allowed_videos
from vidseek.search.keyword import KeywordHit, search_keywords
from vidseek.search.query import SearchOptions, search_vector

MODALITIES = ("visual", *EVIDENCE_KINDS)  # the order of ``Clip.matched``
_ALIASES = {"subtitles": "subtitle", "text": "ocr", "seen": "visual"}
FUSION_RULES = ("rrf", "score")
DEFAULT_RULE = "score"
RRF_K = 60
TEXT_WEIGHT = 1.0
OVERLAP_TOLERANCE = 0.5  # seconds: evidence this close in time is one moment
MIN_KEYWORD_HITS = 32
EXACT_MARGIN = 1e-3  # an exact phrase's lift above the best other moment
# A span that holds only most of the query's words (a misheard word, or a visual query's
# "a red …" in some sentence) moves a moment half as far as one that holds them all.
PARTIAL_WEIGHT = 0.5


def parse_modalities(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """``"speech,subtitles"``, ``["ocr", "visual"]`` or ``["speech,ocr"]`` → canonical names
    in ``MODALITIES`` order; None (or empty) means all. QueryError names the accepted values."""
    if value is None:
        return None
    items = [
        part for item in ([value] if isinstance(value, str) else value) for part in item.split(",")
    ]
    names = {_ALIASES.get(i.strip().lower(), i.strip().lower()) for i in items if i.strip()}
    unknown = sorted(names - set(MODALITIES))
    if unknown:
        raise QueryError(
            f"unknown evidence {', '.join(unknown)}: use any of visual, speech, subtitles, ocr"
        )
    return tuple(m for m in MODALITIES if m in names) or None


def wants_visual(modalities: Sequence[str] | None) -> bool:
    return "visual" in (parse_modalities(modalities) or MODALITIES)


def search_all(
    library: Library,
    text: str,
    vector: np.ndarray | None,
    options: SearchOptions | None = None,
    negatives: Sequence[object] = (),
    rule: str = DEFAULT_RULE,
    text_weight: float = TEXT_WEIGHT,
) -> list[Clip]:
    """Moments for ``text`` from every kind of evidence ``options.modalities`` allows: the
    visual search with ``vector`` (None: no visual search) fused with keyword search."""
    options = options or SearchOptions()
    options.validate()
    if not text.strip():
        raise QueryError("the query is empty: type what you are looking for")
    modalities = parse_modalities(options.modalities) or MODALITIES
    visual: list[Clip] = []
    if vector is not None and "visual" in modalities:
        extra = (negatives,) if negatives else ()  # what the query must not show
        visual = search_vector(library, vector, options, *extra)  # type: ignore[arg-type]
    kinds = [m for m in modalities if m != "visual"]
    if not kinds:
        return visual
    video_ids = options.video_ids
    if options.path_prefixes is not None or options.video_filter is not None:
        video_ids = allowed_videos(library, video_ids, options.path_prefixes, options.video_filter)
    hits = search_keywords(
        library,
        text,
        limit=max(options.k, MIN_KEYWORD_HITS),
        kinds=kinds,
        video_ids=video_ids,
        exclude_video_ids=options.exclude_video_ids,
    )
    if not hits:
        return visual
    visual_vector = vector if "visual" in modalities else None
    clips = fuse(visual, hits, rule, _LibraryLookups(library, visual_vector), text_weight)
    if negatives and visual_vector is not None:
        clips = _without_negatives(library, visual_vector, negatives, clips)
    if options.per_video is not None:
        clips = cap_per_video(clips, options.per_video)
    return clips[: options.k]


def _without_negatives(
    library: Library, vector: np.ndarray, negatives: Sequence[object], clips: list[Clip]
) -> list[Clip]:
    """Moments found by their words alone, less those whose pictures all show what the
    query excludes (the visual search already left those out of its own)."""
    shows = NegativeFilter(library, vector, negatives)  # type: ignore[arg-type]

    def kept(clip: Clip) -> bool:
        if "visual" in clip.matched or not clip.segment_ids:
            return True
        hits = [Hit(s, clip.video_id, clip.start, clip.end, 0.0) for s in clip.segment_ids]
        return bool(shows(hits))

    return [c for c in clips if kept(c)]


@dataclass
class TextMoment:
    """Keyword hits of one video overlapping in time; ``hits[0]`` is the best."""

    video_id: int
    path: str
    hits: list[KeywordHit]
    rank: int  # 1 = the best text moment of the query

    @property
    def best(self) -> KeywordHit:
        return self.hits[0]

    @property
    def evidence(self) -> KeywordHit:
        """The hit whose words and time the moment shows: the best, unless another as
        exact has the matched words' own times (speech; a subtitle cue or a sign only
        says when its whole text is there)."""
        timed = (h for h in self.hits if h.timed and h.exact == self.best.exact)
        return next(timed, self.best)

    @property
    def start(self) -> float:
        return min(h.span_start for h in self.hits)

    @property
    def end(self) -> float:
        return max(h.span_end for h in self.hits)

    @property
    def exact(self) -> bool:
        return any(h.exact for h in self.hits)

    def kinds(self) -> set[str]:
        return {h.kind for h in self.hits}


def group_hits(hits: Sequence[KeywordHit]) -> list[TextMoment]:
    """Hits (best first) → text moments (best first): a hit joins the first moment of its
    video that it overlaps, within ``OVERLAP_TOLERANCE``."""
    moments: list[TextMoment] = []
    for hit in hits:
        home = next(
            (
                m
                for m in moments
                if m.video_id == hit.video_id
                and _overlaps(hit.span_start, hit.span_end, m.start, m.end)
            ),
            None,
        )
        if home is None:
            moments.append(TextMoment(hit.video_id, hit.path, [hit], len(moments) + 1))
        else:
            home.hits.append(hit)
    return moments


class Lookups:
    """What fusion needs from the library beyond the two rankings (a seam for tests)."""

    def segment_ids(self, video_id: int, start: float, end: float) -> list[int]:
        """The video's segments overlapping [start, end] (the nearest one when none do)."""
        return []

    def cosines(self, segment_ids: Sequence[int]) -> dict[int, float]:
        """Cosine similarity of the query to these segments; empty without a query vector."""
        return {}


@dataclass
class _Candidate:
    clip: Clip
    visual_rank: int | None
    moments: list[TextMoment] = field(default_factory=list)


def fuse(
    visual: Sequence[Clip],
    hits: Sequence[KeywordHit],
    rule: str = DEFAULT_RULE,
    lookups: Lookups | None = None,
    text_weight: float = TEXT_WEIGHT,
) -> list[Clip]:
    """The visual clips (ranked) and keyword hits (ranked) as one ranking under ``rule``
    (``text_weight``: the keyword score's weight in the ``score`` rule)."""
    if rule not in FUSION_RULES:
        raise QueryError(f"fusion rule is one of {', '.join(FUSION_RULES)}, got {rule!r}")
    if not hits:
        return list(visual)
    lookups = lookups or Lookups()
    candidates = [_Candidate(clip, rank) for rank, clip in enumerate(visual, 1)]
    for moment in group_hits(hits):
        home = next(
            (
                c
                for c in candidates[: len(visual)]
                if c.clip.video_id == moment.video_id
                and _overlaps(moment.start, moment.end, c.clip.start, c.clip.end)
            ),
            None,
        )
        if home is None:
            home = _Candidate(_text_clip(moment, lookups), None)
            candidates.append(home)
        home.moments.append(moment)
    rate = _rrf if rule == "rrf" else _score_rule(visual, hits, candidates, lookups, text_weight)
    scores = _exact_first({id(c): rate(c) for c in candidates}, candidates)
    ranked = sorted(
        candidates,
        key=lambda c: (
            -scores[id(c)],
            c.visual_rank or len(candidates) + 1,
            c.clip.video_id,
            c.clip.start,
        ),
    )
    return [_finish(c, scores[id(c)]) for c in ranked]


def _exact_first(scores: dict[int, float], candidates: list[_Candidate]) -> dict[int, float]:
    """Lift the scores of moments whose text holds the whole query just above every other
    moment's, so they rank first and scores still fall with rank."""
    exact = [id(c) for c in candidates if any(m.exact for m in c.moments)]
    rest = [scores[id(c)] for c in candidates if id(c) not in set(exact)]
    if exact and rest:
        lift = max(rest) - min(scores[i] for i in exact) + EXACT_MARGIN
        if lift > 0:
            for i in exact:
                scores[i] += lift
    return scores


def _rrf(c: _Candidate) -> float:
    total = 1.0 / (RRF_K + c.visual_rank) if c.visual_rank is not None else 0.0
    if c.moments:
        total += 1.0 / (RRF_K + min(m.rank for m in c.moments))
    return total


def _score_rule(
    visual: Sequence[Clip],
    hits: Sequence[KeywordHit],
    candidates: list[_Candidate],
    lookups: Lookups,
    text_weight: float,
) -> Callable[[_Candidate], float]:
    top = max((h.score for h in hits), default=0.0)
    top = top if top > 0 else 1.0
    unseen = [c for c in candidates if c.visual_rank is None]
    cosines = lookups.cosines([s for c in unseen for s in c.clip.segment_ids])
    # without a stored vector to compare, a moment the visual search did not reach gets the
    # score of its last clip, which it did not beat
    floor = min((c.score for c in visual), default=0.0)

    def visual_score(c: _Candidate) -> float:
        if c.visual_rank is not None:
            return c.clip.score
        seen = [cosines[s] for s in c.clip.segment_ids if s in cosines]
        return max(seen) if seen else floor

    def text_score(m: TextMoment) -> float:
        value = max(m.best.score / top, 0.0)
        return value * PARTIAL_WEIGHT if m.best.partial else value

    def score(c: _Candidate) -> float:
        text = max((text_score(m) for m in c.moments), default=0.0)
        return visual_score(c) + text_weight * text

    return score


def _text_clip(moment: TextMoment, lookups: Lookups) -> Clip:
    best = moment.evidence
    start, end = best.start, max(best.span_end, best.end)
    clip = Clip(moment.video_id, moment.path, start, end, 0.0)
    clip.segment_ids = lookups.segment_ids(moment.video_id, start, end)
    clip.matched = []
    return clip


def _finish(c: _Candidate, score: float) -> Clip:
    """The candidate's clip with its fused score, evidence, snippet and start (the best
    evidence's: the first matched word for speech)."""
    if not c.moments:
        return replace(c.clip, score=score)
    best = min(c.moments, key=lambda m: (not m.exact, m.rank)).evidence
    kinds = {k for m in c.moments for k in m.kinds()} | (
        {"visual"} if c.visual_rank is not None else set()
    )
    end = max(c.clip.end, best.span_end) if c.visual_rank is not None else c.clip.end
    return replace(
        c.clip,
        start=best.start,
        end=max(end, best.end),
        score=score,
        matched=[m for m in MODALITIES if m in kinds],
        snippet=best.snippet(),
    )


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 <= b1 + OVERLAP_TOLERANCE and a1 >= b0 - OVERLAP_TOLERANCE


class _LibraryLookups(Lookups):
    def __init__(self, library: Library, vector: np.ndarray | None) -> None:
        self.library = library
        self.vector = None if vector is None else np.asarray(vector, dtype=np.float32).ravel()
        self._segments: dict[int, list] = {}

    def segment_ids(self, video_id: int, start: float, end: float) -> list[int]:
        if video_id not in self._segments:
            self._segments[video_id] = self.library.segments(video_id)
        segments = self._segments[video_id]
        inside = [s.id for s in segments if s.start < end and s.end > start]
        if inside or not segments:
            return inside
        nearest = min(segments, key=lambda s: min(abs(s.start - start), abs(s.end - start)))
        return [nearest.id]

    def cosines(self, segment_ids: Sequence[int]) -> dict[int, float]:
        model = self.library.model
        if self.vector is None or not segment_ids or model is None:
            return {}
        out: dict[int, float] = {}
        for ids, vectors in self.library.catalog.segment_vectors(model.dim, ids=segment_ids):
            for sid, score in zip(ids, vectors @ self.vector, strict=True):
                out[int(sid)] = float(score)
        return out
