"""`compare_runs`: metric regressions beyond tolerance and questions that went from pass to fail."""

from __future__ import annotations

import pytest

from eval.compare import compare_runs, worse
from eval.errors import RunDirError
from eval.metrics.catalogue import CATALOGUE
from eval.metrics.support import SupportScorer
from eval.records import ItemRecord, RunSummary
from eval.summary import summarise
from tests.eval.eval_fixtures import RESPONSES, run_info, scored_records

Run = tuple[list[ItemRecord], RunSummary]


def make_run(records: list[ItemRecord], split: str = "all") -> Run:
    return records, summarise(records, run_info(split))


@pytest.fixture(scope="module")
def baseline(scorer: SupportScorer) -> Run:
    return make_run(scored_records(scorer))


def test_a_run_against_itself_has_no_regression(baseline: Run) -> None:
    comparison = compare_runs(baseline, baseline)
    assert not comparison.has_regressions
    assert len(comparison.metrics) == len(CATALOGUE)


def test_a_question_going_from_pass_to_fail_is_a_regression(
    scorer: SupportScorer, baseline: Run
) -> None:
    broken = dict(RESPONSES)
    broken["q-consulate"] = RESPONSES["q-consulate"].model_copy(
        update={"answer": "Turkey closed its consulate in Mosul between 2014 and 2019 [1]."}
    )
    comparison = compare_runs(baseline, make_run(scored_records(scorer, broken)))
    assert [(q.id, q.checks) for q in comparison.questions] == [
        ("q-consulate", ("faithfulness", "citations_supported"))
    ]
    regressed = {change.metric for change in comparison.regressions}
    assert {"faithfulness.sentence_support", "citations.recall", "citations.precision"} <= regressed
    assert "answer.hit" not in regressed  # "2014" is still in the answer


def test_tolerances_by_hand() -> None:
    hit, false_rate, p95 = (
        CATALOGUE["answer.hit"],
        CATALOGUE["abstention.false_rate"],
        CATALOGUE["latency.wall_p95_ms"],
    )
    assert not worse(hit, 0.80, 0.795, tolerance=0.01, latency_tolerance=0.25)
    assert worse(hit, 0.80, 0.78, tolerance=0.01, latency_tolerance=0.25)
    assert worse(false_rate, 0.10, 0.12, tolerance=0.01, latency_tolerance=0.25)
    assert not worse(false_rate, 0.10, 0.05, tolerance=0.01, latency_tolerance=0.25)
    assert not worse(p95, 100.0, 124.0, tolerance=0.01, latency_tolerance=0.25)
    assert worse(p95, 100.0, 126.0, tolerance=0.01, latency_tolerance=0.25)
    assert worse(hit, 0.5, None, tolerance=0.01, latency_tolerance=0.25)  # no longer measured
    assert not worse(hit, None, 0.0, tolerance=0.01, latency_tolerance=0.25)


def test_runs_of_different_splits_are_not_compared(baseline: Run) -> None:
    records, _ = baseline
    with pytest.raises(RunDirError, match="same split"):
        compare_runs(baseline, make_run(records, split="test"))
