import numpy as np
import pytest

from vidseek.indexer.segment import SegmentOptions, cut_segments, mean_pool, shot_starts


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _two_shots(n1: int, n2: int, dim: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=dim), rng.normal(size=dim)
    noise = rng.normal(scale=0.01, size=(n1 + n2, dim))
    return _unit(np.vstack([np.tile(a, (n1, 1)), np.tile(b, (n2, 1))]) + noise)


def test_mean_pool_is_unit_mean():
    v = _unit(np.array([[1.0, 0.0], [0.0, 1.0]]))
    pooled = mean_pool(v)
    assert pooled.dtype == np.float32
    np.testing.assert_allclose(pooled, [2**-0.5, 2**-0.5], rtol=1e-6)


def test_shot_starts_found_at_the_cut():
    assert shot_starts(_two_shots(7, 5), threshold=0.85) == [0, 7]


def test_windows_never_straddle_a_shot_change():
    vectors = _two_shots(7, 5)
    times = np.arange(12, dtype=np.float64)
    segments = cut_segments(times, vectors, 12.0, SegmentOptions(window=4, stride=2))
    spans = [(s.start, s.end, s.n_frames) for s in segments]
    assert spans == [(0, 4, 4), (2, 6, 4), (4, 7, 3), (7, 11, 4), (9, 12, 3)]
    for s in segments:
        assert s.end <= 7 or s.start >= 7
        assert abs(np.linalg.norm(s.vector) - 1) < 1e-5


def test_segments_cover_every_frame_with_real_timestamps():
    times = np.array([0.0, 0.9, 2.3, 2.8, 4.1, 5.5, 6.0])  # variable frame rate
    vectors = _unit(np.ones((7, 4)) + np.random.default_rng(1).normal(scale=0.001, size=(7, 4)))
    segments = cut_segments(times, vectors, 6.5, SegmentOptions(window=3, stride=1.5))
    covered = {float(t) for s in segments for t in times if s.start <= t < s.end}
    assert covered == {float(t) for t in times}
    assert segments[-1].end == pytest.approx(6.5)


def test_empty_video_has_no_segments():
    assert cut_segments(np.zeros(0), np.zeros((0, 8), np.float32), 0.0) == []
