"""Citation validity, ALCE recall and precision, and overlap with the gold evidence."""

from __future__ import annotations

import pytest

from eval.metrics.citations import gold_coverage, gold_overlap, validity_problems
from eval.metrics.spans import Span
from eval.metrics.support import SupportScorer
from eval.metrics.text import split_sentences
from eval.scoring import score_item
from qa_service.schemas import Citation
from tests.eval.eval_fixtures import (
    ARAB_LEAGUE,
    CONSULATE,
    DOC_ID,
    OPEC,
    PIPELINE,
    citation,
    item,
    response,
    span_of,
    texts,
)

QUESTION = item("q", "When did Iraq join the Arab League?", "1945", [ARAB_LEAGUE])
VALID_ANSWER = "Iraq is a founding member of the Arab League since 1945 [1]. And of OPEC [2]."


def problems(answer: str, citations: list[Citation], *, abstained: bool = False) -> list[str]:
    return validity_problems(
        answer, split_sentences(answer), citations, texts(), abstained=abstained
    )


def test_valid_citations_have_no_problem() -> None:
    assert problems(VALID_ANSWER, [citation(1, ARAB_LEAGUE), citation(2, OPEC)]) == []


def test_a_fabricated_quote_is_invalid() -> None:
    forged = citation(1, ARAB_LEAGUE).model_copy(
        update={"quote": "Iraq is a founding member of the Arab League since 1948."}
    )
    assert problems(VALID_ANSWER, [forged, citation(2, OPEC)]) == [
        f"[1] quote differs from {DOC_ID}[{forged.start}:{forged.end}]"
    ]


def test_a_marker_without_citation_is_invalid() -> None:
    answer = VALID_ANSWER + " It is in the UN too [3]."
    found = problems(answer, [citation(1, ARAB_LEAGUE), citation(2, OPEC)])
    assert found == ["[3] in the answer has no citation"]


def test_gaps_unused_citations_and_bad_offsets_are_invalid() -> None:
    outside = citation(2, OPEC).model_copy(update={"start": 10_000, "end": 10_050})
    unknown = citation(3, OPEC).model_copy(update={"doc_id": "elsewhere"})
    found = problems(
        "Iraq joined in 1945 [1]. It joined OPEC [2].", [citation(1, ARAB_LEAGUE), outside, unknown]
    )
    assert found == [
        f"[2] offsets [10000, 10050) are not a non-empty range of {DOC_ID} "
        f"({len(texts()[DOC_ID])} characters)",
        "[3] cites 'elsewhere', not in the corpus",
        "[3] is never used in the answer",
    ]
    gap = problems(
        "Iraq joined in 1945 [1]. It joined OPEC [3].",
        [citation(1, ARAB_LEAGUE), citation(3, OPEC)],
    )
    assert gap == ["citation markers [1, 3] are not numbered 1..2"]


def test_a_sentence_without_marker_is_invalid_unless_abstaining() -> None:
    answer = "Iraq joined in 1945 [1]. It is in OPEC."
    assert problems(answer, [citation(1, ARAB_LEAGUE)]) == [
        "sentence without a marker: 'It is in OPEC.'"
    ]
    assert problems("I cannot answer from the sources.", [], abstained=True) == []


def test_a_fabricated_quote_fails_the_item_and_supports_nothing(scorer: SupportScorer) -> None:
    # The forged quote says 1948, as the answer does; support is judged on the real text (1945).
    forged = citation(1, ARAB_LEAGUE).model_copy(
        update={"quote": "Iraq is a founding member of the Arab League since 1948."}
    )
    answer = response("Iraq is a founding member of the Arab League since 1948 [1].", [forged])
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["citations.validity"] == 0.0
    assert not score.checks["citations_valid"]
    assert score.metrics["faithfulness.sentence_support"] == 0.0


def test_alce_recall_and_precision_by_hand(scorer: SupportScorer) -> None:
    # Sentence 1 cites [1] (supports it) and [2] (about the pipeline: neither supports it alone
    # nor is needed) -> 1 of 2 precise. Sentence 2 cites [2], which supports it -> 1 of 1.
    # Precision = 2 / 3; both sentences are cited and supported -> recall = 2 / 2.
    answer = response(
        "Iraq is a founding member of the Arab League since 1945 [1][2]. "
        "The Kirkuk-Ceyhan pipeline let Iraq deliver up to 400,000 barrels of oil per day via "
        "Turkey in 2014 [2].",
        [citation(1, ARAB_LEAGUE), citation(2, PIPELINE)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["citations.recall"] == 1.0
    assert score.metrics["citations.precision"] == pytest.approx(2 / 3)
    assert [s.precise for s in score.sentences] == [(1,), (2,)]


def test_citations_needed_jointly_are_both_precise(scorer: SupportScorer) -> None:
    # Neither quote alone holds both dates; together they do, so each one is needed.
    answer = response(
        "Iraq is a founding member of the Arab League since 1945 and of OPEC since 1960 [1][2].",
        [citation(1, ARAB_LEAGUE), citation(2, OPEC)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["citations.recall"] == 1.0
    assert score.metrics["citations.precision"] == 1.0


def test_an_uncited_sentence_lowers_recall(scorer: SupportScorer) -> None:
    answer = response(
        "Iraq is a founding member of the Arab League since 1945 [1]. "
        "Iraq is a founding member of OPEC since 1960.",
        [citation(1, ARAB_LEAGUE)],
    )
    score = score_item(QUESTION, answer, texts(), scorer)
    assert score.metrics["citations.recall"] == 0.5
    assert score.metrics["citations.precision"] == 1.0  # the one citation there is, is relevant


def test_gold_coverage_and_overlap_by_hand() -> None:
    gold = [Span(DOC_ID, *span_of(ARAB_LEAGUE)), Span(DOC_ID, *span_of(CONSULATE))]
    start, end = span_of(ARAB_LEAGUE)
    cited = [
        Span(DOC_ID, start + 5, end),  # covers most of gold 1
        Span(DOC_ID, *span_of(PIPELINE)),  # touches no gold span
        Span(DOC_ID, start, start + 3),  # touches gold 1, covers too little of it
    ]
    assert gold_coverage(cited, gold) == 0.5  # gold 1 covered, the consulate quote not
    assert gold_overlap(cited, gold) == pytest.approx(2 / 3)  # citations 1 and 3 touch gold
