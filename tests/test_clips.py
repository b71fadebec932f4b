from vidseek.core.types import Hit
from vidseek.search.clips import cap_per_video, merge_hits


def test_overlapping_and_touching_hits_of_similar_score_merge_into_one_clip():
    hits = [
        Hit(1, video_id=5, start=0.0, end=4.0, score=0.48),
        Hit(2, video_id=5, start=2.0, end=6.0, score=0.5),
        Hit(3, video_id=5, start=6.0, end=10.0, score=0.47),  # touches the previous one
        Hit(4, video_id=5, start=20.0, end=24.0, score=0.4),  # separate
    ]
    clips = merge_hits(hits, {5: "a.mp4"})
    assert [(c.start, c.end, c.score) for c in clips] == [(0.0, 10.0, 0.5), (20.0, 24.0, 0.4)]
    assert sorted(clips[0].segment_ids) == [1, 2, 3]
    assert clips[0].path == "a.mp4"


def test_a_weak_neighbour_does_not_stretch_a_strong_moment():
    hits = [Hit(1, 5, 0.0, 4.0, 0.9), Hit(2, 5, 4.0, 8.0, 0.3), Hit(3, 5, 8.0, 12.0, 0.29)]
    clips = merge_hits(hits, {})
    assert [(c.start, c.end, c.score) for c in clips] == [(0.0, 4.0, 0.9), (4.0, 12.0, 0.3)]


def test_hits_of_different_videos_never_merge_and_rank_by_score():
    hits = [Hit(1, 1, 0.0, 4.0, 0.3), Hit(2, 2, 0.0, 4.0, 0.6), Hit(3, 1, 2.0, 5.0, 0.29)]
    clips = merge_hits(hits, {})
    assert [(c.video_id, c.end, c.score) for c in clips] == [(2, 4.0, 0.6), (1, 5.0, 0.3)]


def test_ties_are_deterministic():
    hits = [Hit(9, 3, 0.0, 1.0, 0.5), Hit(8, 1, 5.0, 6.0, 0.5), Hit(7, 1, 0.0, 1.0, 0.5)]
    order = [(c.video_id, c.start) for c in merge_hits(hits, {})]
    assert order == [(1, 0.0), (1, 5.0), (3, 0.0)]
    assert order == [(c.video_id, c.start) for c in merge_hits(list(reversed(hits)), {})]


def test_cap_per_video_keeps_the_best_of_each():
    hits = [Hit(i, i % 2, i * 10.0, i * 10.0 + 4, 1.0 - i / 10) for i in range(6)]
    capped = cap_per_video(merge_hits(hits, {}), 2)
    assert [(c.video_id, c.score) for c in capped] == [(0, 1.0), (1, 0.9), (0, 0.8), (1, 0.7)]
