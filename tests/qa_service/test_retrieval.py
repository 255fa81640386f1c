"""Hybrid retrieval finds exact names and numbers (BM25) and paraphrases (dense), fused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qa_service.pipeline import QAService
from qa_service.retrieval import FusionParams, Retriever
from qa_service.schemas import SearchRequest


def _top_sections(service: QAService, query: str, k: int = 3) -> list[str]:
    return [p.section for p in service.search(SearchRequest(query=query, top_k=k)).passages]


@pytest.mark.parametrize(
    ("query", "section"),
    [
        ("BICES", "Internationally"),  # a rare acronym
        (
            "1,458 kilometers",
            "Relations with Iran > Relations prior to the 1979 Iranian Revolution",
        ),
        ("Warbah and Bubiyan", "Access to the Persian Gulf"),
        ("Hissein Brahim Taha", "Relations with Chad"),
    ],
)
def test_exact_names_and_numbers_are_found(service: QAService, query: str, section: str) -> None:
    assert any(s.endswith(section) for s in _top_sections(service, query))


@pytest.mark.parametrize(
    ("query", "section"),
    [
        ("Which country did Iraq go to war with for eight years in the 1980s?", "Iran-Iraq War"),
        ("Did the Pope ever travel to Iraq?", "Relations with Vatican City"),
        ("firefighters sent abroad after a blaze", "In Syria"),
    ],
)
def test_paraphrases_are_found(service: QAService, query: str, section: str) -> None:
    assert any(section in s for s in _top_sections(service, query, 5))


def test_hits_are_ranked_unique_and_bounded(service: QAService) -> None:
    passages = service.search(SearchRequest(query="oil exports to Jordan", top_k=20)).passages
    assert [p.rank for p in passages] == list(range(1, 21))
    assert len({p.chunk_id for p in passages}) == 20
    assert all(a.score >= b.score for a, b in itertools.pairwise(passages))


def test_k_larger_than_the_index_returns_every_chunk_once(service: QAService) -> None:
    retriever = Retriever(service.store, FusionParams("rrf", 60, 0.5, depth=10_000))
    question = service.embed_query("Iraq")
    hits = retriever.search(question.vector, question.terms, 10_000, {})
    assert len(hits) == len(service.index.chunks)
    assert len({h.chunk.row for h in hits}) == len(hits)


def test_rrf_rewards_agreement_between_retrievers(service: QAService) -> None:
    retriever = Retriever(service.store, FusionParams("rrf", 60, 0.5, depth=3))
    fused = retriever._rrf(np.array([1, 2, 3]), np.array([3, 4, 5]))
    assert max(fused, key=lambda row: fused[row]) == 3
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)


def test_convex_fusion_weighs_normalised_scores(service: QAService) -> None:
    retriever = Retriever(service.store, FusionParams("convex", 60, 0.75, depth=3))
    fused = retriever._convex(
        np.array([0.9, 0.5], dtype=np.float32),
        np.array([1, 2]),
        np.array([10.0, 5.0], dtype=np.float32),
        np.array([2, 3]),
    )
    assert fused == pytest.approx({1: 0.75, 2: 0.25, 3: 0.0})


def test_a_query_of_stop_words_still_returns_dense_hits(service: QAService) -> None:
    assert len(service.search(SearchRequest(query="what is it", top_k=5)).passages) == 5
