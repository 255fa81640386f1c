"""Where retrieval and answering read the index from: the `CorpusStore` protocol, and the index
directory as one (the PostgreSQL one is `indexer.postgres.PostgresStore`).

A store answers the two searches and hands out, per question, a `CorpusView`: the sentences,
sentence vectors, term statistics and documents that answering reads for the chunks it found.
Row numbers are the store's own: consecutive within a document (what "the sentence before" means),
compared only after checking that two rows share a document and section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from corpus import Document
from indexer.analysis import TextAnalyzer
from indexer.artifact import CorpusIndex, EmbeddingInfo
from indexer.chunking import Chunk, Sentence
from indexer.dense import search as dense_search
from indexer.embedding import Vectors

__all__ = [
    "CorpusStore",
    "CorpusView",
    "DirectoryStore",
    "Ranking",
    "SentenceRows",
    "StoreStatus",
    "StoreUnavailableError",
    "TermStats",
    "VectorRows",
    "top_scores",
]

# Scores and rows of one retriever's candidates, best first.
Ranking = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


class StoreUnavailableError(Exception):
    """The store cannot be read right now (the database is down or unreachable); retry later."""


class TermStats(Protocol):
    def knows(self, term: str) -> bool: ...

    def idf(self, term: str) -> float: ...


class SentenceRows(Protocol):
    def __getitem__(self, row: int, /) -> Sentence: ...

    def __len__(self) -> int: ...


class VectorRows(Protocol):
    def __getitem__(self, rows: list[int], /) -> Any: ...


class CorpusView(Protocol):
    """What answering reads for one question: at least the sentences of its hit chunks and
    their neighbours, their vectors, the corpus's term statistics and the hits' documents."""

    @property
    def documents(self) -> Mapping[str, Document]: ...

    @property
    def sentences(self) -> SentenceRows: ...

    @property
    def sentence_vectors(self) -> VectorRows: ...

    @property
    def bm25(self) -> TermStats: ...


class StoreStatus(Protocol):
    backend: str  # "index-directory" or "postgresql"
    documents: int
    chunks: int
    built_at: str
    embedding: EmbeddingInfo


class CorpusStore(Protocol):
    """What the service reads: searches, chunks by row, a view per question, the documents."""

    @property
    def backend(self) -> str: ...

    @property
    def analyzer(self) -> TextAnalyzer: ...

    @property
    def embedding(self) -> EmbeddingInfo: ...

    def dense_search(self, query: Vectors, k: int) -> Ranking:
        """The k chunks nearest to the query vector (inner product), best first."""
        ...

    def lexical_search(self, terms: list[str], k: int) -> Ranking:
        """The k chunks with the best positive BM25 score for the query terms, best first."""
        ...

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks of these rows, in the same order."""
        ...

    def view(self, chunks: Sequence[Chunk], terms: Sequence[str]) -> CorpusView:
        """What answering reads for a question with these terms whose hits are these chunks."""
        ...

    def documents(self) -> list[Document]: ...

    def document(self, doc_id: str) -> Document | None: ...

    def status(self) -> StoreStatus:
        """Counts and provenance for /readyz; raises StoreUnavailableError when unreachable."""
        ...


class _DirectoryStatus:
    def __init__(self, index: CorpusIndex) -> None:
        self.backend = "index-directory"
        self.documents = int(index.manifest.counts["documents"])
        self.chunks = int(index.manifest.counts["chunks"])
        self.built_at = index.manifest.built_at
        self.embedding = index.manifest.embedding


class DirectoryStore:
    """The loaded index directory (FAISS + BM25 in memory): the default store. Its view of any
    question is the whole index."""

    backend = "index-directory"

    def __init__(self, index: CorpusIndex) -> None:
        self.index = index
        self._status = _DirectoryStatus(index)

    @property
    def analyzer(self) -> TextAnalyzer:
        return self.index.analyzer

    @property
    def embedding(self) -> EmbeddingInfo:
        return self.index.manifest.embedding

    def dense_search(self, query: Vectors, k: int) -> Ranking:
        return dense_search(self.index.dense, query, k)

    def lexical_search(self, terms: list[str], k: int) -> Ranking:
        return top_scores(self.index.bm25.scores(terms), k)

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        return [self.index.chunks[row] for row in rows]

    def view(self, chunks: Sequence[Chunk], terms: Sequence[str]) -> CorpusView:
        return self.index

    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    def document(self, doc_id: str) -> Document | None:
        return self.index.documents.get(doc_id)

    def status(self) -> StoreStatus:
        return self._status


def top_scores(scores: npt.NDArray[np.float32], k: int) -> Ranking:
    """The k best positive scores and their rows, best first (ties: the lower row first)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    order = positive[np.lexsort((positive, -scores[positive]))]
    return scores[order], order.astype(np.int64)
