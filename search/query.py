"""Queries in, ranked clips out: the one search path used by the CLI, the API and `eval`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidseek.core.errors import ModelMismatch, QueryError
from vidseek.core.library import Library
from vidseek.core.lru import LruCache
from vidseek.core.types import Clip, Encoder
from vidseek.search.clips import cap_per_video, merge_hits
from vidseek.search.confidence import ConfidenceScorer, Judged, check_min_confidence
from vidseek.search.exclusion import Negative, NegativeFilter, check_negatives, compose
from vidseek.search.filters import VideoFilter, allowed_videos

MAX_K = 1000
MAX_QUERY_CHARS = 2000
# image + text: the text's weight against the image's (both unit vectors). Above 1 because a
# text's vector sits farther from every image than look-alike images sit from each other (the
# modality gap of contrastive models): at 1 the image's own look-alikes still win; on the
# demo world "a red circle" picture + "blue" ties at 1.0 and finds the blue circle from 1.5
DEFAULT_TEXT_WEIGHT = 2.0
MAX_TEXT_WEIGHT = 10.0


@dataclass(frozen=True)
class SearchOptions:
    k: int = 10  # clips to return
    per_video: int | None = None  # at most this many clips of one video
    video_ids: tuple[int, ...] | None = None  # restrict to these videos
    min_score: float | None = None  # drop clips scoring below this cosine similarity
    path_prefixes: tuple[str, ...] | None = None  # only videos whose path starts with one
    exclude_video_ids: tuple[int, ...] | None = None  # never these videos (e.g. the query's)
    # duration, frame size, dates, speech and subtitles (search/filters.py); a catalog query
    video_filter: VideoFilter | None = None
    # fold copies of one moment (search/collapse.py) into one clip, which lists them
    collapse_duplicates: bool = False
    # evidence a text query searches: "visual", "speech", "subtitle", "ocr"; None: all of
    # them, fused (search/fusion.py)
    modalities: tuple[str, ...] | None = None
    # text queries: drop moments whose calibrated confidence is lower (search/confidence.py);
    # None: the model calibration's default cut-off; 0: keep every moment
    min_confidence: float | None = None

    def validate(self) -> None:
        if not 1 <= self.k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {self.k}")
        if self.per_video is not None and self.per_video < 1:
            raise QueryError(f"per_video must be at least 1, got {self.per_video}")
        if self.min_score is not None and not -1.0 <= self.min_score <= 1.0:
            raise QueryError(f"min_score is a cosine similarity in [-1, 1], got {self.min_score}")
        check_min_confidence(self.min_confidence)
        if isinstance(self.path_prefixes, str):
            raise QueryError("path_prefixes is a tuple of prefixes, not one string")
        if isinstance(self.exclude_video_ids, int):
            raise QueryError("exclude_video_ids is a tuple of ids, not one id")
        if self.video_filter is not None:
            self.video_filter.validate()
        if self.modalities is not None:
            from vidseek.search.fusion import parse_modalities

            if isinstance(self.modalities, str) or parse_modalities(self.modalities) is None:
                raise QueryError("modalities is a tuple of visual, speech, subtitle, ocr")


class QueryEmbedder:
    """Query text or image → the model's unit vector; repeated texts come from an LRU cache."""

    def __init__(self, encoder: Encoder, cache_size: int = 1024) -> None:
        self.encoder = encoder
        self._cache: LruCache[np.ndarray] = LruCache(cache_size)

    def text(self, text: str) -> np.ndarray:
        text = text.strip()
        if not text:
            raise QueryError("the query is empty: type what you are looking for")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"the query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
        cached = self._cache.get(text)
        if cached is None:
            cached = self.encoder.encode_texts([text])[0]
            self._cache.put(text, cached)
        return cached

    def image(self, image: np.ndarray | str | Path) -> np.ndarray:
        return self.encoder.encode_images([load_image(image)])[0]


class Searcher:
    """Embeds queries with the library's model and returns merged, ranked clips."""

    def __init__(self, library: Library, encoder: Encoder, cache_size: int = 1024) -> None:
        if library.model is not None and library.model != encoder.identity:
            raise ModelMismatch(
                library_model=library.model.label,
                requested_model=encoder.identity.label,
                differences=library.model.differences(encoder.identity),
                library=str(library.home),
            )
        self.library = library
        self.encoder = encoder
        self.embedder = QueryEmbedder(encoder, cache_size)
        self.confidence = ConfidenceScorer(encoder)

    def embed_text(self, text: str) -> np.ndarray:
        return self.embedder.text(text)

    def embed_image(self, image: np.ndarray | str | Path) -> np.ndarray:
        return self.embedder.image(image)

    def embed_image_text(
        self, image: np.ndarray | str | Path, text: str, weight: float | None = None
    ) -> np.ndarray:
        """An image query moved by text: unit(image + ``weight`` * text), both unit vectors
        (``DEFAULT_TEXT_WEIGHT`` when ``weight`` is None)."""
        weight = DEFAULT_TEXT_WEIGHT if weight is None else weight
        return nudge(self.embed_image(image), self.embed_text(text), weight)

    def negatives(self, query: str | np.ndarray | None, not_texts: Sequence[str]) -> list[Negative]:
        """What ``not_texts`` exclude from ``query``: a text, the vector of an image (or of a
        moment), or None: see ``search/exclusion.py``."""
        out = []
        for excluded in check_negatives(not_texts):
            alone = self.embed_text(excluded)
            if isinstance(query, str):
                out.append(Negative(alone, self.embed_text(compose(query, excluded))))
            elif query is not None:
                out.append(Negative(alone, nudge(query, alone)))
            else:
                out.append(Negative(alone))
        return out

    def search_text(
        self, text: str, options: SearchOptions | None = None, not_texts: Sequence[str] = ()
    ) -> list[Clip]:
        """Moments for ``text`` in what is seen, said and written (``options.modalities``),
        fused (``search/fusion.py``), less those that show one of ``not_texts``, and less
        those below ``options.min_confidence`` (default: the model's calibrated cut-off)."""
        return self.search_text_judged(text, options, not_texts).clips

    def search_text_judged(
        self, text: str, options: SearchOptions | None = None, not_texts: Sequence[str] = ()
    ) -> Judged:
        """``search_text``, and why nothing is returned when no moment reaches the cut-off."""
        from vidseek.search.fusion import search_all, wants_visual

        options = options or SearchOptions()
        if not wants_visual(options.modalities):
            return Judged(search_all(self.library, text, None, options))
        vector = self.embed_text(text)
        negatives = self.negatives(text, not_texts)
        clips = search_all(self.library, text, vector, options, negatives)
        return self.judge(vector, clips, options.min_confidence)

    def judge(
        self, vector: np.ndarray, clips: list[Clip], min_confidence: float | None = None
    ) -> Judged:
        """Set the confidence of each clip found for a text's ``vector``; keep those at or
        above ``min_confidence`` (default: the calibrated cut-off)."""
        return self.confidence.judge(self.library, vector, clips, min_confidence)

    def search_then(
        self,
        first: str,
        then: str,
        options: SearchOptions | None = None,
        max_gap: float | None = None,
        not_texts: Sequence[str] = (),
    ) -> list[Clip]:
        """Spans where ``first`` is followed by ``then`` within ``max_gap`` seconds
        (``search/temporal.py``), less moments that show one of ``not_texts``."""
        from vidseek.search.temporal import DEFAULT_MAX_GAP_S, search_then

        return search_then(
            self.library,
            self.embed_text(first),
            self.embed_text(then),
            options,
            DEFAULT_MAX_GAP_S if max_gap is None else max_gap,
            self.negatives(first, not_texts),
            self.negatives(then, not_texts),
        )

    def search_image(
        self,
        image: np.ndarray | str | Path,
        options: SearchOptions | None = None,
        text: str | None = None,
        text_weight: float | None = None,
        not_texts: Sequence[str] = (),
    ) -> list[Clip]:
        """Moments like ``image``; with ``text``, like the image moved towards the text
        (weighted ``text_weight``, default ``DEFAULT_TEXT_WEIGHT``)."""
        vector = (
            self.embed_image(image)
            if text is None
            else self.embed_image_text(image, text, text_weight)
        )
        return self.search_vector(vector, options, self.negatives(vector, not_texts))

    def search_vector(
        self,
        vector: np.ndarray,
        options: SearchOptions | None = None,
        negatives: Sequence[Negative] = (),
    ) -> list[Clip]:
        return search_vector(self.library, vector, options, negatives)


def nudge(image: np.ndarray, text: np.ndarray, weight: float = DEFAULT_TEXT_WEIGHT) -> np.ndarray:
    """unit(image + weight * text): an image query moved towards a text."""
    if not (0.0 < weight <= MAX_TEXT_WEIGHT):
        raise QueryError(f"the text weight must be in (0, {MAX_TEXT_WEIGHT:g}], got {weight:g}")
    mixed = np.asarray(image, dtype=np.float64) + weight * np.asarray(text, dtype=np.float64)
    norm = float(np.linalg.norm(mixed))
    if not norm > 1e-6:
        raise QueryError("the image and the text cancel out: give another text or weight")
    return (mixed / norm).astype(np.float32)


def search_vector(
    library: Library,
    vector: np.ndarray,
    options: SearchOptions | None = None,
    negatives: Sequence[Negative] = (),
) -> list[Clip]:
    """Fetch hits until ``k`` clips survive merging, filters and the per-video cap;
    ``negatives``: hits that show one of them are dropped (``search/exclusion.py``).

    Needs no encoder: the vector may come from a model or from the library itself."""
    options = options or SearchOptions()
    options.validate()
    video_ids = options.video_ids
    if options.path_prefixes is not None or options.video_filter is not None:
        video_ids = allowed_videos(library, video_ids, options.path_prefixes, options.video_filter)
    excluded = set(options.exclude_video_ids or ())
    if video_ids is not None and excluded:
        video_ids, excluded = tuple(v for v in video_ids if v not in excluded), set()
    if video_ids is not None and not video_ids:
        return []
    total = library.stats_segments()
    # Left unfiltered in the index, excluded videos can take at most their own segments'
    # places among the hits: fetch that many more, so the first round is as deep as ever.
    skipped = len(library.segment_ids_for_videos(excluded)) if excluded else 0
    fetch = min(total, max(options.k * 4, 32) + skipped)
    query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
    paths: dict[int, str] = {}  # kept across widening rounds: each video is looked up once
    unwanted = NegativeFilter(library, query, negatives)
    while True:
        hits = library.search_vectors(query, fetch, video_ids)[0]
        got = len(hits)
        if excluded:
            hits = [h for h in hits if h.video_id not in excluded]
        if options.min_score is not None:
            hits = [h for h in hits if h.score >= options.min_score]
        hits = unwanted(hits)
        for vid in {h.video_id for h in hits} - paths.keys():
            paths[vid] = library.video(vid).path
        clips = merge_hits(hits, paths)
        if options.collapse_duplicates:
            clips = _collapse(library, clips)
        if options.per_video is not None:
            clips = cap_per_video(clips, options.per_video)
        if len(clips) >= options.k or fetch >= total or got < fetch:
            return clips[: options.k]
        fetch = min(total, fetch * 4)


def _collapse(library: Library, clips: list[Clip]) -> list[Clip]:
    from vidseek.search.collapse import collapse
    from vidseek.search.duplicate_cache import library_duplicates

    return collapse(clips, library_duplicates(library))


def load_image(image: np.ndarray | str | Path) -> np.ndarray:
    """An RGB uint8 array from an array or an image file; QueryError when it isn't one."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise QueryError("a query image must be an RGB uint8 array of shape (H, W, 3)")
        return image
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as img:
            return np.asarray(img.convert("RGB"))
    except FileNotFoundError as exc:
        raise QueryError(f"query image not found: {image}") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise QueryError(f"not a readable image: {image} ({exc})") from exc
