"""The retrieval metrics against values worked out by hand."""

import numpy as np
import pytest

from vidseek.evaluation.metrics import (
    moment_metrics,
    rank_of_first,
    ranks_from_scores,
    recall_at,
    retrieval_metrics,
    temporal_iou,
)


def test_rank_of_first_is_one_based_and_past_the_end_when_absent():
    assert rank_of_first([7, 3, 9], {3}) == 2
    assert rank_of_first([7, 3, 9], {9, 7}) == 1
    assert rank_of_first([7, 3, 9], {4}) == 4


def test_ranks_from_scores_counts_strictly_better_items():
    scores = np.array(
        [
            [0.9, 0.1, 0.5],  # correct 0: best → 1
            [0.9, 0.1, 0.5],  # correct 1: worst → 3
            [0.2, 0.2, 0.1],  # correct 1 tied with 0 → ties favour the query → 1
            [0.3, 0.8, 0.6],  # correct {0, 2}: best of them is 2 (0.6) → 2
        ]
    )
    ranks = ranks_from_scores(scores, [[0], [1], [1], [0, 2]])
    assert ranks.tolist() == [1, 3, 1, 2]


def test_ranks_from_scores_rejects_a_query_without_a_correct_item():
    with pytest.raises(ValueError):
        ranks_from_scores(np.zeros((1, 3)), [[]])


def test_recall_and_rank_statistics():
    ranks = [1, 2, 6, 11]
    assert recall_at(ranks, 1) == 25.0
    assert recall_at(ranks, 5) == 50.0
    assert recall_at(ranks, 10) == 75.0
    metrics = retrieval_metrics(ranks)
    assert metrics == {"R@1": 25.0, "R@5": 50.0, "R@10": 75.0, "MdR": 4.0, "MnR": 5.0, "n": 4}


def test_temporal_iou():
    assert temporal_iou((0.0, 10.0), (0.0, 10.0)) == 1.0
    assert temporal_iou((0.0, 4.0), (2.0, 6.0)) == pytest.approx(2.0 / 6.0)
    assert temporal_iou((0.0, 4.0), (4.0, 6.0)) == 0.0  # touching spans share nothing
    assert temporal_iou((0.0, 10.0), (2.0, 3.0)) == pytest.approx(0.1)  # contained


def test_moment_metrics_at_both_thresholds():
    truths = [(0.0, 10.0), (10.0, 20.0), (0.0, 4.0)]
    predictions = [
        [(0.0, 8.0), (30.0, 40.0)],  # top-1 IoU 0.8
        [(0.0, 5.0), (11.0, 20.0)],  # top-1 IoU 0, 2nd IoU 0.9
        [],  # nothing returned: IoU 0
    ]
    m = moment_metrics(predictions, truths)
    assert m["R@1,IoU>=0.5"] == pytest.approx(100 / 3)
    assert m["R@1,IoU>=0.7"] == pytest.approx(100 / 3)
    assert m["R@5,IoU>=0.5"] == pytest.approx(200 / 3)
    assert m["R@5,IoU>=0.7"] == pytest.approx(200 / 3)
    assert m["mIoU"] == pytest.approx(100 * 0.8 / 3)
    assert m["n"] == 3
    stricter = moment_metrics([[(0.0, 6.0)]], [(0.0, 10.0)])  # IoU 0.6: passes 0.5 only
    assert (stricter["R@1,IoU>=0.5"], stricter["R@1,IoU>=0.7"]) == (100.0, 0.0)
