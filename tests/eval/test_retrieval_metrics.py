"""Retrieval metrics on hand-placed spans; the expected numbers are worked out in the comments."""

from __future__ import annotations

import pytest

from eval.dataset import Evidence
from eval.errors import GoldDataError
from eval.metrics.retrieval import ndcg_at_k, reciprocal_rank, score_retrieval
from eval.metrics.spans import Span, locate_evidence

GOLD = [Span("d", 100, 140), Span("d", 300, 320), Span("e", 0, 10)]
NOWHERE = Span("x", 0, 1000)
PASSAGES = [
    Span("d", 0, 110),  # 1: shares 10 of gold 1's 40 characters: less than half, not relevant
    Span("d", 290, 400),  # 2: covers gold 2 entirely
    Span("d", 120, 200),  # 3: shares 20 of 40 with gold 1: exactly half, relevant
    NOWHERE,
    NOWHERE,
    NOWHERE,
    Span("e", 5, 50),  # 7: shares 5 of gold 3's 10: relevant
    NOWHERE,
    NOWHERE,
    NOWHERE,
]


def test_recall_at_k_counts_quotes_first_covered_within_k() -> None:
    scores = score_retrieval(PASSAGES, GOLD)
    # Gold quotes are first covered at ranks 3, 2 and 7.
    assert scores.recall_at == {1: 0.0, 3: pytest.approx(2 / 3), 5: pytest.approx(2 / 3), 10: 1.0}


def test_reciprocal_rank_is_that_of_the_first_relevant_passage() -> None:
    assert score_retrieval(PASSAGES, GOLD).reciprocal_rank == 0.5


def test_ndcg_discounts_each_quote_at_its_first_covering_rank() -> None:
    # DCG = 1/log2(4) + 1/log2(3) + 1/log2(8) = 0.5 + 0.63093 + 0.33333 = 1.46426
    # IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.63093 + 0.5 = 2.13093
    assert score_retrieval(PASSAGES, GOLD).ndcg_at_10 == pytest.approx(1.46426 / 2.13093, abs=1e-5)


def test_one_passage_covering_two_quotes_at_rank_one_is_capped_at_one() -> None:
    # DCG = 2 / log2(2) = 2 > IDCG = 1 + 1/log2(3) = 1.63093
    gold = [Span("d", 0, 10), Span("d", 20, 30)]
    assert ndcg_at_k([Span("d", 0, 30)], gold) == 1.0


def test_nothing_relevant_scores_zero() -> None:
    scores = score_retrieval([NOWHERE, Span("d", 0, 100)], GOLD)
    assert scores.recall_at == {1: 0.0, 3: 0.0, 5: 0.0, 10: 0.0}
    assert scores.reciprocal_rank == 0.0
    assert scores.ndcg_at_10 == 0.0
    assert reciprocal_rank([], GOLD) == 0.0


def test_passages_below_rank_ten_do_not_count_for_ndcg() -> None:
    eleventh = [NOWHERE] * 10 + [Span("d", 100, 140)]
    assert ndcg_at_k(eleventh, GOLD[:1]) == 0.0


def test_span_in_another_document_never_covers() -> None:
    assert not Span("e", 100, 140).covers(Span("d", 100, 140))
    assert Span("d", 100, 140).covers(Span("d", 100, 140))


def test_locate_evidence_finds_the_first_occurrence() -> None:
    texts = {"d": "abc quote here, quote here"}
    span = locate_evidence(Evidence(doc_id="d", quote="quote here", section="Introduction"), texts)
    assert span == Span("d", 4, 14)


def test_locate_evidence_rejects_a_quote_that_is_not_verbatim() -> None:
    with pytest.raises(GoldDataError, match="verbatim"):
        locate_evidence(
            Evidence(doc_id="d", quote="Quote here", section="I"), {"d": "a quote here"}
        )
    with pytest.raises(GoldDataError, match="not in the corpus"):
        locate_evidence(Evidence(doc_id="z", quote="a", section="I"), {"d": "a"})
