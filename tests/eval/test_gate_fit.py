"""The gate fit's pure steps: the off-topic regression read against the chosen threshold."""

from __future__ import annotations

import pytest

from eval.gate_fit import at_threshold
from qa_service.answering.gate import Logistic


@pytest.mark.parametrize("threshold", [0.2, 0.4, 0.5, 0.7])
def test_the_off_topic_regression_declines_the_same_at_any_threshold(threshold: float) -> None:
    on_topic = Logistic({"similarity": 4.0}, -2.0)
    moved = at_threshold(on_topic, threshold)
    for similarity in (0.0, 0.3, 0.49, 0.51, 0.7, 1.0):
        features = {"similarity": similarity}
        declined_at_half = on_topic.probability(features) < 0.5
        assert (moved.probability(features) < threshold) == declined_at_half
    assert moved.weights == on_topic.weights
