"""The evidence gate's score per question (eval/gate_scores.py) -> abstention on unanswerable vs.
false abstention on answerable questions across thresholds: the abstention sweep.

`sweep` is pure: with the rule "abstain when score < threshold", it gives, for each threshold,
the share of unanswerable questions abstained, the share of answerable ones falsely abstained,
and the answer hit. `best` is the threshold with the most
abstention within the false-abstention budget, and `meeting` every threshold that reaches the
target (issue 8: at least 60% abstention with at most 6% false abstention).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

MIN_ABSTENTION = 0.60  # of unanswerable questions
MAX_FALSE_ABSTENTION = 0.06  # of answerable questions


class GateScore(BaseModel, frozen=True):
    """One question as the gate saw it."""

    id: str
    answerable: bool  # the gold label
    score: float  # GateDecision.score
    gate_answers: bool  # the gate's own decision, at the service's current settings
    hit: bool  # the answer drafted regardless of the gate has the gold answer (answerable only)


class SweepRow(BaseModel, frozen=True):
    threshold: float | None  # abstain when score < threshold; None: the gate's own decisions
    abstention: float | None  # share of unanswerable questions abstained; None: there are none
    false_abstention: float | None  # share of answerable questions abstained
    answer_hit: float | None  # share of answerable questions answered (not abstained) with a hit

    def meets(self, min_abstention: float, max_false_abstention: float) -> bool:
        return (
            self.abstention is not None
            and self.false_abstention is not None
            and self.abstention >= min_abstention
            and self.false_abstention <= max_false_abstention
        )


class Sweep(BaseModel, frozen=True):
    corpus: str
    split: str
    min_abstention: float  # the target
    max_false_abstention: float
    scores: tuple[GateScore, ...]
    rows: tuple[SweepRow, ...]  # the table: evenly spaced thresholds
    current: SweepRow  # the gate's own decisions, at the service's settings
    best: SweepRow | None  # most abstention within the false-abstention budget (None: no cut is)
    meeting: tuple[SweepRow, ...]  # every distinct cut that meets the target, lowest first


def row_at(scores: Sequence[GateScore], threshold: float) -> SweepRow:
    """The outcome of abstaining on every question whose score is below `threshold`."""
    return _row(threshold, scores, [s.score >= threshold for s in scores])


def sweep(
    corpus: str,
    split: str,
    scores: Sequence[GateScore],
    steps: int = 20,
    min_abstention: float = MIN_ABSTENTION,
    max_false_abstention: float = MAX_FALSE_ABSTENTION,
) -> Sweep:
    """The table over `steps + 1` evenly spaced thresholds from the lowest score to the highest,
    the gate as configured, and every threshold that meets the target."""
    if not scores:
        raise ValueError("a sweep needs at least one scored question")
    low = min(s.score for s in scores)
    high = max(s.score for s in scores)
    grid = [low + (high - low) * step / steps for step in range(steps + 1)]
    # Every distinct cut: each score (questions at it answer), and one above the highest.
    cuts = [*sorted({s.score for s in scores}), high + 1e-9]
    rows = [row_at(scores, cut) for cut in cuts]
    within = [r for r in rows if (r.false_abstention or 0.0) <= max_false_abstention]
    best = max(
        within, key=lambda r: (r.abstention or 0.0, -(r.false_abstention or 0.0)), default=None
    )
    meeting = [row for row in rows if row.meets(min_abstention, max_false_abstention)]
    return Sweep(
        corpus=corpus,
        split=split,
        min_abstention=min_abstention,
        max_false_abstention=max_false_abstention,
        scores=tuple(scores),
        rows=tuple(row_at(scores, threshold) for threshold in grid),
        current=_row(None, scores, [s.gate_answers for s in scores]),
        best=best,
        meeting=tuple(meeting),
    )


def _row(threshold: float | None, scores: Sequence[GateScore], answers: Sequence[bool]) -> SweepRow:
    answerable = [(s, a) for s, a in zip(scores, answers, strict=True) if s.answerable]
    unanswerable = [a for s, a in zip(scores, answers, strict=True) if not s.answerable]

    def share(count: int, total: int) -> float | None:
        return count / total if total else None

    return SweepRow(
        threshold=threshold,
        abstention=share(sum(not a for a in unanswerable), len(unanswerable)),
        false_abstention=share(sum(not a for _, a in answerable), len(answerable)),
        answer_hit=share(sum(s.hit and a for s, a in answerable), len(answerable)),
    )
