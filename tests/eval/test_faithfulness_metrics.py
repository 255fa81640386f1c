"""Faithfulness through `score_item`: grounded answers pass, changed facts fail."""

from __future__ import annotations

from eval.metrics.support import SupportScorer
from eval.scoring import score_item
from tests.eval.eval_fixtures import (
    ARAB_LEAGUE,
    CONSULATE,
    FIRES,
    OPEC,
    PIPELINE,
    citation,
    item,
    response,
    texts,
)

QUESTION = item("q", "When did Iraq join the Arab League and OPEC?", "1945", [ARAB_LEAGUE, OPEC])


def test_an_answer_drawn_from_its_quotes_is_faithful(scorer: SupportScorer) -> None:
    answer = response(
        "Iraq is a founding member of the Arab League since 1945 [1]. "
        "It is also a founding member of OPEC since 1960 [2].",
        [citation(1, ARAB_LEAGUE), citation(2, OPEC)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["faithfulness.sentence_support"] == 1.0
    assert score.metrics["faithfulness.fully_supported"] == 1.0
    assert score.checks["faithfulness"]


def test_a_changed_number_fails_faithfulness(scorer: SupportScorer) -> None:
    answer = response(
        "Iraq is a founding member of the Arab League since 1945 [1]. "
        "It is also a founding member of OPEC since 1966 [2].",
        [citation(1, ARAB_LEAGUE), citation(2, OPEC)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["faithfulness.sentence_support"] == 0.5
    assert score.metrics["faithfulness.fully_supported"] == 0.0
    assert not score.checks["faithfulness"]
    assert score.sentences[1].grounding.missing == ("1966",)


def test_a_sentence_whose_quote_says_something_else_fails(scorer: SupportScorer) -> None:
    answer = response(
        "Iraq is a founding member of the Arab League since 1945 [1]. "
        "Baghdad refused to send help when fires broke out in Latakia [2].",
        [citation(1, ARAB_LEAGUE), citation(2, CONSULATE)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["faithfulness.sentence_support"] == 0.5
    assert not score.checks["faithfulness"]
    assert not score.sentences[1].support.supported


def test_swapped_citations_stay_faithful_but_fail_citation_recall(scorer: SupportScorer) -> None:
    # Both facts are in what the answer cites, so it is grounded; but each sentence points at
    # the other's quote, which citation recall catches.
    answer = response(
        "The pipeline delivered up to 400,000 barrels of oil per day via Turkey in 2014 [1]. "
        "Baghdad sent firefighting teams when fires broke out in Latakia [2].",
        [citation(1, FIRES), citation(2, PIPELINE)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["faithfulness.sentence_support"] == 1.0
    assert score.metrics["citations.recall"] == 0.0
    assert score.metrics["citations.precision"] == 0.0
