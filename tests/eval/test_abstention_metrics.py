"""Abstention rates and latency percentiles by hand."""

from __future__ import annotations

import pytest

from eval.metrics.abstention import score_abstention
from eval.metrics.latency import percentile


def test_abstention_scores_by_hand() -> None:
    # (answerable, abstained): 3 unanswerable, 2 of them abstained; 4 answerable, 1 abstained.
    outcomes = [
        (False, True),
        (False, True),
        (False, False),
        (True, True),
        (True, False),
        (True, False),
        (True, False),
    ]
    scores = score_abstention(outcomes)
    assert scores.precision == pytest.approx(2 / 3)  # 2 right of 3 abstentions
    assert scores.recall == pytest.approx(2 / 3)  # 2 of 3 unanswerable
    assert scores.f1 == pytest.approx(2 / 3)
    assert scores.false_rate == pytest.approx(1 / 4)  # 1 of 4 answerable


def test_never_abstaining_has_no_precision() -> None:
    scores = score_abstention([(False, False), (True, False)])
    assert scores.precision is None
    assert scores.recall == 0.0
    assert scores.f1 is None
    assert scores.false_rate == 0.0


def test_only_answerable_questions_leave_recall_unmeasured() -> None:
    scores = score_abstention([(True, True), (True, False)])
    assert scores.recall is None
    assert scores.false_rate == 0.5


def test_nearest_rank_percentiles() -> None:
    times = [40.0, 10.0, 30.0, 20.0]
    assert percentile(times, 50) == 20.0  # ceil(0.5 * 4) = 2nd smallest
    assert percentile(times, 95) == 40.0  # ceil(0.95 * 4) = 4th
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
