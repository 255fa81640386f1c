"""Ranked passages + gold evidence spans -> recall@k, reciprocal rank and nDCG@10 for one question.

A passage is relevant to a gold quote when it `covers` it (see `spans.Span.covers`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel

from eval.metrics.spans import Span

RECALL_KS = (1, 3, 5, 10)
NDCG_K = 10


class RetrievalScores(BaseModel, frozen=True):
    recall_at: dict[int, float]  # k -> share of gold quotes covered within the top k
    reciprocal_rank: float
    ndcg_at_10: float


def first_covering_ranks(passages: Sequence[Span], gold: Sequence[Span]) -> list[int | None]:
    """For each gold span, the 1-based rank of the first passage covering it (None: none does)."""
    return [
        next((rank for rank, passage in enumerate(passages, 1) if passage.covers(span)), None)
        for span in gold
    ]


def recall_at_k(passages: Sequence[Span], gold: Sequence[Span], k: int) -> float:
    ranks = first_covering_ranks(passages, gold)
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(gold)


def reciprocal_rank(passages: Sequence[Span], gold: Sequence[Span]) -> float:
    """1 / rank of the first passage that covers any gold span; 0 when none does."""
    for rank, passage in enumerate(passages, 1):
        if any(passage.covers(span) for span in gold):
            return 1 / rank
    return 0.0


def ndcg_at_k(passages: Sequence[Span], gold: Sequence[Span], k: int = NDCG_K) -> float:
    """Quote-centred nDCG: each gold quote gains 1 at the rank where it is first covered.

    DCG = sum over covered quotes of 1 / log2(rank + 1); the ideal covers one quote per rank from
    rank 1, so IDCG = sum_{j=1}^{min(|gold|, k)} 1 / log2(j + 1). One passage covering several
    quotes can beat that ideal, hence the cap at 1.
    """
    ranks = first_covering_ranks(passages[:k], gold)
    dcg = sum(1 / math.log2(rank + 1) for rank in ranks if rank is not None)
    ideal = sum(1 / math.log2(j + 1) for j in range(1, min(len(gold), k) + 1))
    return min(1.0, dcg / ideal)


def score_retrieval(passages: Sequence[Span], gold: Sequence[Span]) -> RetrievalScores:
    if not gold:
        raise ValueError("retrieval is scored against at least one gold evidence span")
    return RetrievalScores(
        recall_at={k: recall_at_k(passages, gold, k) for k in RECALL_KS},
        reciprocal_rank=reciprocal_rank(passages, gold),
        ndcg_at_10=ndcg_at_k(passages, gold),
    )
