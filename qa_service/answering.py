"""Ranked passages -> a draft answer whose every sentence cites a span, or an empty draft to abstain.

`Answerer` is the seam for other backends (a generative model, say): it gets the question and
the hits and returns a `Draft`; grounding then checks every sentence against what it cites.
The default, `ExtractiveAnswerer`, needs no model call: it scores the sentences of the top
passages against the question (their precomputed vectors, idf-weighted term overlap with the
sentence and the sentence before it, and whether it holds the kind of answer asked for: a
number, a date), keeps the best ones diverse (maximal marginal relevance) and within a token
budget, brings along the sentence before one that only makes sense after it ("During this
meeting, ..."), and puts them in reading order, each citing its own span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from indexer.artifact import CorpusIndex
from indexer.chunking import Sentence, count_tokens
from indexer.embedding import Vectors
from qa_service.grounding import Claim, Draft, Source
from qa_service.retrieval import Hit

AnswerType = Literal["number", "date"]
_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|large|big|far|old)|what (share|percentage|proportion|number|"
    r"amount|value|size|sum)|number of|percentage of)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(r"\b(when|what year|which year|what date|in what year|since when)\b",
                        re.IGNORECASE)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|"
                     r"thousand|million|billion|half)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b|\b(January|February|March|April|May|June|July|"
                   r"August|September|October|November|December)\b")


@dataclass(frozen=True)
class Question:
    text: str  # the query that was searched (the question resolved against the history)
    vector: Vectors  # its normalised embedding, shape (1, dimension)
    terms: list[str]


class Answerer(Protocol):
    def draft(self, question: Question, hits: list[Hit]) -> Draft: ...


@dataclass(frozen=True)
class AnswerParams:
    passages: int  # how many top hits may contribute sentences
    max_sentences: int
    max_tokens: int
    relative_floor: float  # a sentence must score this share of the best sentence
    mmr_lambda: float
    abstain_below: float
    similarity_weight: float = 0.6  # relevance = w * cosine + (1 - w) * term overlap
    context_weight: float = 0.5  # share of the overlap counted over the sentence and its predecessor
    type_bonus: float = 0.05  # for a sentence holding the kind of answer the question asks for


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    chunk_id: str
    relevance: float
    context: Sentence | None  # the sentence before, when this one leans on it for its meaning


def expected_answer_type(question: str) -> AnswerType | None:
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DATE.search(question):
        return "date"
    return None


def holds(answer_type: AnswerType | None, text: str) -> bool:
    if answer_type == "number":
        return bool(_NUMBER.search(text))
    if answer_type == "date":
        return bool(_DATE.search(text))
    return True


class ExtractiveAnswerer:
    def __init__(self, index: CorpusIndex, params: AnswerParams) -> None:
        self._index = index
        self._params = params

    def draft(self, question: Question, hits: list[Hit]) -> Draft:
        candidates = self._candidates(question, hits)
        evidence = max((c.relevance for c in candidates), default=0.0)
        if evidence < self._params.abstain_below:
            return Draft([], evidence)
        claims: list[Claim] = []
        for candidate in self._reading_order(self._select(candidates)):
            sentences = [candidate.context, candidate.sentence] if candidate.context else [
                candidate.sentence]
            for sentence in sentences:
                claim = Claim(
                    sentence.text,
                    (Source(sentence.doc_id, sentence.start, sentence.end, candidate.chunk_id),),
                )
                if claim not in claims:
                    claims.append(claim)
        return Draft(claims, evidence)

    def _candidates(self, question: Question, hits: list[Hit]) -> list[Candidate]:
        """Every sentence of the top passages, scored against the question."""
        origin: dict[int, str] = {}
        for hit in hits[: self._params.passages]:
            for row in range(*hit.chunk.sentence_rows):
                origin.setdefault(row, hit.chunk.id)
        if not origin:
            return []
        rows = list(origin)
        sentences = self._index.sentences
        similarity = np.asarray(self._index.sentence_vectors[rows] @ question.vector[0])
        bm25 = self._index.bm25
        # Terms no chunk contains cannot match any sentence: leaving them out keeps the
        # overlap comparable between questions with and without such words.
        weights = {t: bm25.idf(t) for t in set(question.terms) if bm25.knows(t)}
        total = sum(weights.values()) or 1.0
        answer_type = expected_answer_type(question.text)
        p = self._params
        candidates = []
        for row, cosine in zip(rows, similarity.tolist(), strict=True):
            sentence = sentences[row]
            before = sentences[row - 1] if row > 0 else None
            if before is not None and (before.doc_id, before.section) != (
                sentence.doc_id, sentence.section
            ):
                before = None
            own = sum(weights[t] for t in weights.keys() & set(sentence.terms)) / total
            window_terms = set(sentence.terms) | set(before.terms if before else ())
            window = sum(weights[t] for t in weights.keys() & window_terms) / total
            overlap = (1 - p.context_weight) * own + p.context_weight * window
            relevance = p.similarity_weight * cosine + (1 - p.similarity_weight) * overlap
            if answer_type and holds(answer_type, sentence.text):
                relevance += p.type_bonus
            leans_on_before = before is not None and window - own > own
            candidates.append(
                Candidate(sentence, origin[row], relevance, before if leans_on_before else None)
            )
        return candidates

    def _select(self, candidates: list[Candidate]) -> list[Candidate]:
        """Maximal marginal relevance within the sentence and token budgets, best first."""
        pool = sorted(candidates, key=lambda c: -c.relevance)
        floor = pool[0].relevance * self._params.relative_floor
        pool = [c for c in pool if c.relevance >= floor]
        vectors = self._index.sentence_vectors[[c.sentence.row for c in pool]]
        relevance = np.array([c.relevance for c in pool])
        lam = self._params.mmr_lambda
        chosen: list[int] = []
        tokens = 0
        while len(chosen) < min(len(pool), self._params.max_sentences):
            redundancy = (
                (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(pool))
            )
            scores = lam * relevance - (1 - lam) * redundancy
            scores[chosen] = -np.inf
            best = int(np.argmax(scores))
            candidate = pool[best]
            size = count_tokens(candidate.sentence.text) + (
                count_tokens(candidate.context.text) if candidate.context else 0
            )
            if chosen and tokens + size > self._params.max_tokens:
                break
            chosen.append(best)
            tokens += size
        return [pool[i] for i in chosen]

    def _reading_order(self, chosen: list[Candidate]) -> list[Candidate]:
        """Documents in order of their best sentence; sentences in document order within each."""
        doc_rank: dict[str, int] = {}
        for candidate in chosen:  # chosen is best first
            doc_rank.setdefault(candidate.sentence.doc_id, len(doc_rank))
        return sorted(chosen, key=lambda c: (doc_rank[c.sentence.doc_id], c.sentence.start))
