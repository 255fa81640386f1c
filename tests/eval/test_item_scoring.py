"""`score_item` decides which metrics and checks apply to a question and its response."""

from __future__ import annotations

import pytest

from eval.metrics.catalogue import CATALOGUE
from eval.metrics.support import SupportScorer
from eval.scoring import CHECKS, score_item
from qa_service.schemas import AskResponse, ShortAnswer
from tests.eval.eval_fixtures import (
    ARAB_LEAGUE,
    DOC_ID,
    ITEMS,
    OPEC,
    RESPONSES,
    citation,
    item,
    passage,
    response,
    span_of,
    texts,
)

ANSWERABLE = item("q", "When did Iraq join the Arab League?", "1945", [ARAB_LEAGUE])
UNANSWERABLE = item("u", "What is the national bird of Iraq?")


def test_abstaining_on_an_unanswerable_question_passes(scorer: SupportScorer) -> None:
    score = score_item(
        UNANSWERABLE, response("Not in the sources.", abstained=True), texts(), scorer
    )
    assert score.checks == {"abstention": True}
    assert score.metrics == {}
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


def _with(base: AskResponse, **update: object) -> AskResponse:
    return base.model_copy(update=update)


def test_a_short_answer_is_scored_by_squad_exact_match_and_f1(scorer: SupportScorer) -> None:
    start, _ = span_of(ARAB_LEAGUE)
    year = start + ARAB_LEAGUE.index("1945")
    exact = ShortAnswer(text="1945", doc_id=DOC_ID, start=year, end=year + 4)
    right = _with(RESPONSES["q-arab-league"], short_answer=exact)
    score = score_item(ITEMS[0], right, texts(), scorer)
    assert (score.metrics["short_answer.exact"], score.metrics["short_answer.f1"]) == (1.0, 1.0)
    assert score.checks["citations_valid"]
    missing = score_item(ITEMS[0], RESPONSES["q-arab-league"], texts(), scorer)
    assert (missing.metrics["short_answer.exact"], missing.metrics["short_answer.f1"]) == (0, 0)


def test_a_short_answer_that_is_not_the_cited_text_breaks_the_contract(
    scorer: SupportScorer,
) -> None:
    start, _ = span_of(OPEC)  # real text, but OPEC's sentence is not cited
    outside = ShortAnswer(text="Iraq", doc_id=DOC_ID, start=start, end=start + 4)
    forged = ShortAnswer(text="1946", doc_id=DOC_ID, start=start, end=start + 4)
    for short, problem in ((outside, "outside every cited span"), (forged, "differs from")):
        score = score_item(
            ITEMS[0], _with(RESPONSES["q-arab-league"], short_answer=short), texts(), scorer
        )
        assert not score.checks["citations_valid"]
        assert any(problem in text for text in score.problems)


def test_dropped_claims_are_a_share_of_the_drafted_sentences(scorer: SupportScorer) -> None:
    one_of_two = _with(RESPONSES["q-arab-league"], dropped_claims=1)
    assert score_item(ITEMS[0], one_of_two, texts(), scorer).metrics[
        "grounding.dropped_rate"
    ] == pytest.approx(0.5)
    all_dropped = response("Not in the sources.", abstained=True).model_copy(
        update={"dropped_claims": 2}
    )
    score = score_item(UNANSWERABLE, all_dropped, texts(), scorer)
    assert score.metrics == {"grounding.dropped_rate": 1.0}
