"""The abstention sweep: the table, the gate's own row and the target, on hand-made scores."""

from __future__ import annotations

import pytest

from eval.reports.markdown import render_sweep
from eval.sweep import GateScore, row_at, sweep


def score(id: str, answerable: bool, value: float, *, hit: bool = True) -> GateScore:
    return GateScore(id=id, answerable=answerable, score=value, gate_answers=value >= 0.5, hit=hit)


# Four unanswerable questions scoring low, and answerable ones mostly high; a1 is a hard case.
SCORES = [
    score("u1", False, 0.1),
    score("u2", False, 0.2),
    score("u3", False, 0.3),
    score("u4", False, 0.9),
    score("a1", True, 0.25),
    score("a2", True, 0.6, hit=False),
    score("a3", True, 0.7),
    score("a4", True, 0.8),
    score("a5", True, 0.9),
]


def test_a_row_abstains_below_the_threshold() -> None:
    row = row_at(SCORES, 0.3)
    assert row.abstention == pytest.approx(2 / 4)  # u1, u2
    assert row.false_abstention == pytest.approx(1 / 5)  # a1
    assert row.answer_hit == pytest.approx(3 / 5)  # a3, a4, a5 (a2 answers without a hit)
    nothing = row_at(SCORES, 0.0)
    assert (nothing.abstention, nothing.false_abstention) == (0.0, 0.0)


def test_the_sweep_spans_the_scores_and_finds_where_the_target_holds() -> None:
    result = sweep("c", "dev", SCORES, steps=8, min_abstention=0.6, max_false_abstention=0.25)
    assert [r.threshold for r in result.rows] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    )
    assert result.current.abstention == pytest.approx(3 / 4)  # the gate's own cut at 0.5
    # Abstaining on u1..u3 needs a cut above 0.3, which costs a1 (1 of 5 = 20%); the next cut,
    # 0.6, is the only one that meets it: at 0.7, a2 abstains too (40%).
    assert [r.threshold for r in result.meeting] == pytest.approx([0.6])
    assert result.best == result.meeting[0]


def test_a_target_out_of_reach_reports_the_best_within_the_budget() -> None:
    result = sweep("c", "dev", SCORES, steps=4, min_abstention=0.9, max_false_abstention=0.0)
    assert result.meeting == ()
    assert result.best is not None
    assert result.best.threshold == pytest.approx(0.25)  # u1, u2 abstain, no answerable does
    assert result.best.abstention == pytest.approx(0.5)
    report = render_sweep(result)
    assert "not met by any threshold" in report
    assert "threshold 0.2500, 50.0% abstained, 0.0% falsely" in report
    assert "| the gate as configured | 75.0% | 20.0% | 60.0% |" in report


def test_a_sweep_needs_scores() -> None:
    with pytest.raises(ValueError, match="at least one"):
        sweep("c", "dev", [])
