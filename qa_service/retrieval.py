"""Query -> ranked chunks: the store's dense and BM25 candidates, fused by rank (RRF) or score."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from indexer.chunking import Chunk
from indexer.embedding import Vectors
from indexer.store import CorpusStore
from qa_service.settings import Settings


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # the fused score that ranks the hits


@dataclass(frozen=True)
class FusionParams:
    method: Literal["rrf", "convex"]
    rrf_k: int
    convex_alpha: float
    depth: int  # candidates taken from each retriever

    @classmethod
    def from_settings(cls, settings: Settings) -> FusionParams:
        return cls(settings.fusion, settings.rrf_k, settings.convex_alpha, settings.retrieval_depth)


class Retriever:
    """Hybrid retrieval over a store; stateless between calls, safe to share."""

    def __init__(self, store: CorpusStore, params: FusionParams) -> None:
        self._store = store
        self._params = params

    def search(
        self, query_vector: Vectors, query_terms: list[str], k: int, timings: dict[str, float]
    ) -> list[Hit]:
        """The k best chunks for a query, best first; adds dense/bm25/fusion ms to `timings`."""
        depth = max(self._params.depth, k)
        started = time.perf_counter()
        dense_scores, dense_rows = self._store.dense_search(query_vector, depth)
        after_dense = time.perf_counter()
        lexical_scores, lexical_rows = self._store.lexical_search(query_terms, depth)
        after_lexical = time.perf_counter()
        if self._params.method == "rrf":
            fused = self._rrf(dense_rows, lexical_rows)
        else:
            fused = self._convex(dense_scores, dense_rows, lexical_scores, lexical_rows)
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        chunks = self._store.chunks([row for row, _ in ranked])
        hits = [Hit(chunk, score) for chunk, (_, score) in zip(chunks, ranked, strict=True)]
        timings["dense"] = (after_dense - started) * 1000
        timings["bm25"] = (after_lexical - after_dense) * 1000
        timings["fusion"] = (time.perf_counter() - after_lexical) * 1000
        return hits

    def _rrf(self, *rankings: npt.NDArray[np.int64]) -> dict[int, float]:
        fused: dict[int, float] = {}
        for ranking in rankings:
            for rank, row in enumerate(ranking.tolist(), 1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (self._params.rrf_k + rank)
        return fused

    def _convex(
        self,
        dense_scores: npt.NDArray[np.float32],
        dense_rows: npt.NDArray[np.int64],
        lexical_scores: npt.NDArray[np.float32],
        lexical_rows: npt.NDArray[np.int64],
    ) -> dict[int, float]:
        alpha = self._params.convex_alpha
        fused: dict[int, float] = {}
        for weight, scores, rows in (
            (alpha, dense_scores, dense_rows),
            (1.0 - alpha, lexical_scores, lexical_rows),
        ):
            for row, value in zip(rows.tolist(), _min_max(scores).tolist(), strict=True):
                fused[row] = fused.get(row, 0.0) + weight * value
        return fused


def _min_max(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if len(scores) == 0:
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-9:
        return np.ones_like(scores)
    return (scores - low) / (high - low)
