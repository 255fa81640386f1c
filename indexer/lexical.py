"""Text -> stemmed terms; the BM25 index over chunks that finds exact names, numbers and dates."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer

# bm25s sets its own logger to DEBUG on import; put it back under the application's logging.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Numbers keep their inner separators ("1,458" -> "1458", "2.5"); words are runs of letters/digits.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+")
# Lucene's English list plus the words questions are made of: they say nothing about the topic.
STOPWORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then
    there these they this to was will with what when where which who whom whose why how did does
    do done were been being has have had can could would should shall may might must about
    tell me my i you your we our us its his her him she he them than also any some all so very
    much many more most other both each few own same too just over under between after before
    during since until while from up down out off again further once here s t""".split()  # noqa: SIM905
)


@lru_cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content terms of `text`, stop words dropped, in order."""
    words = [m.group().replace(",", "") for m in _TOKEN.finditer(text.lower())]
    kept = [w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return list(_stemmer().stemWords(kept))


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
