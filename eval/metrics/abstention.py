"""(answerable, abstained) per question -> precision, recall and F1 of abstaining, and the false
abstention rate."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel


class AbstentionScores(BaseModel, frozen=True):
    precision: float | None  # None: the service never abstained
    recall: float | None  # None: no unanswerable question was asked
    f1: float | None
    false_rate: float | None  # None: no answerable question was asked


def score_abstention(outcomes: Sequence[tuple[bool, bool]]) -> AbstentionScores:
    """Scores from (answerable, abstained) pairs; abstaining on an unanswerable one is a hit."""
    true_positive = sum(1 for answerable, abstained in outcomes if abstained and not answerable)
    abstentions = sum(1 for _, abstained in outcomes if abstained)
    unanswerable = sum(1 for answerable, _ in outcomes if not answerable)
    answerable = len(outcomes) - unanswerable
    precision = true_positive / abstentions if abstentions else None
    recall = true_positive / unanswerable if unanswerable else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    false_rate = (abstentions - true_positive) / answerable if answerable else None
    return AbstentionScores(precision=precision, recall=recall, f1=f1, false_rate=false_rate)
