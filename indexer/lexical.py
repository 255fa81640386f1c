"""Chunk terms -> the BM25 index over chunks that finds exact names, numbers and dates.

Terms come from the text analyser (`indexer.analysis`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

__all__ = ["Bm25Index"]

# bm25s sets its own logger to DEBUG on import; put it back under the application's logging.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class Bm25Index:
    """BM25 (Lucene variant) over the chunks' terms; row i is chunk row i."""

    def __init__(self, model: bm25s.BM25) -> None:
        self._model = model
        vocab: dict[str, int] = model.vocab_dict
        document_frequency = np.diff(model.scores["indptr"]).astype(np.float64)
        n = float(model.scores["num_docs"])
        # The BM25 idf of each term, for weighting term overlap outside BM25 too.
        idf = np.log(1.0 + (n - document_frequency + 0.5) / (document_frequency + 0.5))
        self._idf = {term: float(idf[i]) for term, i in vocab.items() if term}
        self._max_idf = float(np.log(1.0 + (n + 0.5) / 0.5))

    @classmethod
    def build(cls, chunk_terms: list[list[str]]) -> Bm25Index:
        model = bm25s.BM25(method="lucene")
        model.index([t or [""] for t in chunk_terms], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))

    @property
    def size(self) -> int:
        return int(self._model.scores["num_docs"])

    def knows(self, term: str) -> bool:
        return term in self._idf

    def idf(self, term: str) -> float:
        """The term's idf; a term no chunk has counts as the rarest possible."""
        return self._idf.get(term, self._max_idf)

    def scores(self, query_terms: list[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every chunk for the query terms (0 where no term matches)."""
        known = [t for t in query_terms if t in self._idf]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)
