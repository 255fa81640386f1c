"""The gate fit's pure steps: the off-topic regression read against the chosen threshold; the
synthetic near misses weighed as asked, never in the threshold's choice."""

from __future__ import annotations

import math

import pytest

from eval.gate_fit import Row, at_threshold, choose_threshold, fit
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


def _row(corpus: str, answerable: bool, evidence: float, near_miss: str | None = None) -> Row:
    features = {"evidence": evidence}
    return Row(corpus, "dev", answerable, features, answerable, None, (), near_miss=near_miss)


GOLD = [
    _row(corpus, answerable, evidence)
    for corpus in ("a", "b")
    for answerable, evidence in [(True, 0.9), (True, 0.6), (True, 0.3), (False, 0.5), (False, 0.2)]
]
# Near misses that look answerable by the evidence: they pull its weight down when they count.
SYNTHETIC = [_row(c, False, 0.8, "masked") for c in ("a", "b") for _ in range(20)]


def test_near_misses_weigh_nothing_at_zero() -> None:
    assert fit(GOLD + SYNTHETIC, ["evidence"], 0.0) == fit(GOLD, ["evidence"])


def test_near_misses_weigh_as_much_as_asked_whatever_their_number() -> None:
    alone = fit(GOLD, ["evidence"]).weights["evidence"]
    light = fit(GOLD + SYNTHETIC, ["evidence"], 0.1).weights["evidence"]
    heavy = fit(GOLD + SYNTHETIC, ["evidence"], 1.0).weights["evidence"]
    assert heavy < light < alone
    # Twice as many near misses, the same weight for the group: the same fit.
    doubled = fit(GOLD + SYNTHETIC * 2, ["evidence"], 0.1).weights["evidence"]
    assert math.isclose(doubled, light, abs_tol=1e-3)


def test_the_threshold_is_chosen_on_gold_questions_only() -> None:
    on_topic = Logistic({"evidence": 0.0}, 10.0)  # declines nothing
    near_miss = fit(GOLD, ["evidence"])
    chosen = choose_threshold(GOLD, on_topic, near_miss, 0.4)
    assert choose_threshold(GOLD + SYNTHETIC, on_topic, near_miss, 0.4) == chosen
