"""Searcher.search_vector: widening the fetch until enough clips survive the per-video cap."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from vidseek.core.errors import QueryError
from vidseek.core.types import Hit, VideoRecord
from vidseek.search.query import MAX_QUERY_CHARS, QueryEmbedder, Searcher, SearchOptions

VIDEOS = 12
SEGMENTS_PER_VIDEO = 10


class FakeLibrary:
    """Segments 0..119 of 12 videos, non-touching, scores falling with the segment id."""

    model = None

    def __init__(self) -> None:
        self.lookups: Counter[int] = Counter()
        self.fetches: list[int] = []

    def stats_segments(self) -> int:
        return VIDEOS * SEGMENTS_PER_VIDEO

    def search_vectors(self, queries: np.ndarray, k: int, video_ids=None) -> list[list[Hit]]:
        self.fetches.append(k)
        hits = []
        for sid in range(min(k, self.stats_segments())):
            video, slot = divmod(sid, SEGMENTS_PER_VIDEO)
            start = 2.0 * slot  # 1 s segments, 1 s apart: they never merge
            hits.append(Hit(sid, video, start, start + 1.0, 1.0 - sid / 1000))
        return [hits]

    def video(self, video_id: int) -> VideoRecord:
        self.lookups[video_id] += 1
        return VideoRecord(
            video_id, f"/videos/{video_id}.mp4", "", 0, 20.0, 25.0, 64, 64, "indexed", None
        )


class FakeEncoder:
    identity = None


def test_per_video_cap_widens_the_fetch_and_looks_each_video_up_once():
    library = FakeLibrary()
    searcher = Searcher(library, FakeEncoder())  # type: ignore[arg-type]

    clips = searcher.search_vector(np.ones(4), SearchOptions(k=VIDEOS, per_video=1))

    assert [c.video_id for c in clips] == list(range(VIDEOS))
    assert len(library.fetches) > 1, "one video per clip needs more hits than the first fetch"
    assert max(library.lookups.values()) == 1
    assert set(library.lookups) == set(range(VIDEOS))


class CountingEncoder:
    identity = None

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.ones((len(texts), 4), dtype=np.float32) / 2


def test_query_embedder_caches_texts_and_refuses_empty_or_huge_ones():
    encoder = CountingEncoder()
    embedder = QueryEmbedder(encoder, cache_size=2)  # type: ignore[arg-type]
    first = embedder.text("a red circle")
    assert embedder.text("  a red circle ") is first and encoder.texts == ["a red circle"]
    embedder.text("b")
    embedder.text("c")  # evicts the least recently used: "a red circle"
    embedder.text("a red circle")
    assert encoder.texts == ["a red circle", "b", "c", "a red circle"]
    with pytest.raises(QueryError, match="empty"):
        embedder.text("   ")
    with pytest.raises(QueryError, match="limit"):
        embedder.text("x" * (MAX_QUERY_CHARS + 1))
