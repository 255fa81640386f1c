"""`score_item` decides which metrics and checks apply to a question and its response."""

from __future__ import annotations

from eval.metrics.catalogue import CATALOGUE
from eval.metrics.support import SupportScorer
from eval.scoring import CHECKS, score_item
from tests.eval.eval_fixtures import (
    ARAB_LEAGUE,
    ITEMS,
    OPEC,
    RESPONSES,
    citation,
    item,
    passage,
    response,
    texts,
)

ANSWERABLE = item("q", "When did Iraq join the Arab League?", "1945", [ARAB_LEAGUE])
UNANSWERABLE = item("u", "What is the national bird of Iraq?")


def test_abstaining_on_an_unanswerable_question_passes(scorer: SupportScorer) -> None:
    score = score_item(
        UNANSWERABLE, response("Not in the sources.", abstained=True), texts(), scorer
    )
    assert score.checks == {"abstention": True}
    assert score.metrics == {"grounding.dropped_rate": 0.0}
    assert score.passed


def test_answering_an_unanswerable_question_fails_but_is_still_scored(
    scorer: SupportScorer,
) -> None:
    answer = response("Iraq is a founding member of OPEC since 1960 [1].", [citation(1, OPEC)])
    score = score_item(UNANSWERABLE, answer, texts(), scorer)
    assert not score.checks["abstention"]
    assert score.checks["faithfulness"]
    assert "answer.hit" not in score.metrics
    assert "retrieval.mrr" not in score.metrics
    assert not score.passed


def test_abstaining_on_an_answerable_question_misses_the_answer(scorer: SupportScorer) -> None:
    abstained = response(
        "Not in the sources.", [], [passage(1, OPEC), passage(2, ARAB_LEAGUE)], abstained=True
    )
    score = score_item(ANSWERABLE, abstained, texts(), scorer)
    assert score.metrics["answer.hit"] == 0.0
    assert score.metrics["answer.f1"] == 0.0
    assert score.metrics["retrieval.mrr"] == 0.5
    assert score.checks == {"abstention": False, "retrieval": True, "answer": False}


def test_a_right_answer_passes_every_check(scorer: SupportScorer) -> None:
    score = score_item(ITEMS[0], RESPONSES["q-arab-league"], texts(), scorer)
    assert score.checks == {check: True for check in CHECKS}
    assert score.metrics["answer.hit"] == 1.0
    assert score.metrics["retrieval.recall@1"] == 0.0  # the gold quote is the second passage
    assert score.metrics["retrieval.recall@3"] == 1.0
    assert score.metrics["citations.gold_coverage"] == 1.0


def test_every_metric_it_reports_is_in_the_catalogue(scorer: SupportScorer) -> None:
    for fixture in ITEMS:
        score = score_item(fixture, RESPONSES[fixture.id], texts(), scorer)
        assert set(score.metrics) <= set(CATALOGUE)
        assert set(score.checks) <= set(CHECKS)


def test_an_answer_the_service_judge_cut_counts_in_the_dropped_rate(
    scorer: SupportScorer,
) -> None:
    cut = response("Not in the sources.", abstained=True).model_copy(update={"dropped_claims": 2})
    assert score_item(UNANSWERABLE, cut, texts(), scorer).metrics["grounding.dropped_rate"] == 1.0
