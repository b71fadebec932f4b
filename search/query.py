"""Queries in, ranked clips out: the one search path used by the CLI, the API and `eval`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidseek.core.errors import ModelMismatch, QueryError
from vidseek.core.library import Library
from vidseek.core.lru import LruCache
from vidseek.core.types import Clip, Encoder
from vidseek.search.clips import cap_per_video, merge_hits
from vidseek.search.filters import allowed_videos

MAX_K = 1000
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class SearchOptions:
    k: int = 10  # clips to return
    per_video: int | None = None  # at most this many clips of one video
    video_ids: tuple[int, ...] | None = None  # restrict to these videos
    min_score: float | None = None  # drop clips scoring below this cosine similarity
    path_prefixes: tuple[str, ...] | None = None  # only videos whose path starts with one
    exclude_video_ids: tuple[int, ...] | None = None  # never these videos (e.g. the query's)
    # fold copies of one moment (search/collapse.py) into one clip, which lists them
    collapse_duplicates: bool = False
    # evidence a text query searches: "visual", "speech", "subtitle", "ocr"; None: all of
    # them, fused (search/fusion.py)
    modalities: tuple[str, ...] | None = None

    def validate(self) -> None:
        if not 1 <= self.k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {self.k}")
        if self.per_video is not None and self.per_video < 1:
            raise QueryError(f"per_video must be at least 1, got {self.per_video}")
        if self.min_score is not None and not -1.0 <= self.min_score <= 1.0:
            raise QueryError(f"min_score is a cosine similarity in [-1, 1], got {self.min_score}")
        if isinstance(self.path_prefixes, str):
            raise QueryError("path_prefixes is a tuple of prefixes, not one string")
        if isinstance(self.exclude_video_ids, int):
            raise QueryError("exclude_video_ids is a tuple of ids, not one id")
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

    def embed_text(self, text: str) -> np.ndarray:
        return self.embedder.text(text)

    def embed_image(self, image: np.ndarray | str | Path) -> np.ndarray:
        return self.embedder.image(image)

    def search_text(self, text: str, options: SearchOptions | None = None) -> list[Clip]:
        """Moments for ``text`` in what is seen, said and written (``options.modalities``),
        fused (``search/fusion.py``)."""
        from vidseek.search.fusion import search_all, wants_visual

        options = options or SearchOptions()
        vector = self.embed_text(text) if wants_visual(options.modalities) else None
        return search_all(self.library, text, vector, options)

    def search_image(
        self, image: np.ndarray | str | Path, options: SearchOptions | None = None
    ) -> list[Clip]:
        return self.search_vector(self.embed_image(image), options)

    def search_vector(self, vector: np.ndarray, options: SearchOptions | None = None) -> list[Clip]:
        return search_vector(self.library, vector, options)


def search_vector(
    library: Library, vector: np.ndarray, options: SearchOptions | None = None
) -> list[Clip]:
    """Fetch hits until ``k`` clips survive merging, filters and the per-video cap.

    Needs no encoder: the vector may come from a model or from the library itself."""
    options = options or SearchOptions()
    options.validate()
    video_ids = options.video_ids
    if options.path_prefixes is not None:
        video_ids = allowed_videos(library, video_ids, options.path_prefixes)
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
    while True:
        hits = library.search_vectors(query, fetch, video_ids)[0]
        got = len(hits)
        if excluded:
            hits = [h for h in hits if h.video_id not in excluded]
        if options.min_score is not None:
            hits = [h for h in hits if h.score >= options.min_score]
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
