"""Passages -> scored sentences: how well each sentence of the top passages answers the question.

Both the evidence gate and the extractive answerer read these scores: the sentence vectors
precomputed by the indexer, idf-weighted term overlap with the sentence and the sentence before
it, and whether it holds the kind of answer asked for (a number, a date).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from indexer.analysis import AnswerType, expected_answer_type, holds, name_terms
from indexer.chunking import Sentence
from indexer.store import CorpusView
from qa_service.answering.recent import Recent
from qa_service.answering.roles import Question
from qa_service.retrieval import Hit
from qa_service.settings import Settings

# A sentence that opens like this carries on from the one before: "This decision was taken...".
CARRIES_ON = re.compile(
    r"^(?:But |And |However, |Thus, |Then |So )?(?:this|these|that|those|it|its|he|his|she|her|"
    r"they|their|the latter|the former|the two|during this|after this|following this|in return|"
    r"in exchange|in reaction|in response|as a result)\b",
    re.IGNORECASE,
)
UNKNOWN_WORD_WEIGHT = 0.25


@dataclass(frozen=True)
class ScoringParams:
    passages: int  # how many top hits may contribute sentences
    similarity_weight: float  # relevance = w * cosine + (1 - w) * term overlap
    context_weight: float  # share of the overlap counted over the sentence and its predecessor
    type_bonus: float  # for a sentence holding the kind of answer the question asks for

    @classmethod
    def from_settings(cls, settings: Settings) -> ScoringParams:
        return cls(
            passages=settings.answer_passages,
            similarity_weight=settings.answer_similarity_weight,
            context_weight=settings.answer_context_weight,
            type_bonus=settings.answer_type_bonus,
        )


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    chunk_id: str
    relevance: float  # how well it answers: what selection ranks by
    evidence: float  # the same, discounted for names in the question that the corpus lacks
    covers: frozenset[str]  # the question's terms found in it or the sentence before it
    typed: bool  # it holds the kind of answer asked for (always true for untyped questions)
    context: Sentence | None  # the sentence before, when this one leans on it for its meaning


# Recent scorings kept for the next role that asks: the gate and the answerer of one question
# read the same candidates, and concurrent requests each keep theirs for that long.
RECENT = 16


class SentenceScorer:
    """Scores the sentences of the top passages; safe to share between threads."""

    def __init__(self, params: ScoringParams) -> None:
        self._params = params
        # At most one entry per sentence and answer type, so it is bounded by the index size.
        self._holds_cache: dict[tuple[AnswerType, int], bool] = {}
        self._recent: Recent[tuple[str, tuple[str, ...]], list[Candidate]] = Recent(RECENT)

    def candidates(
        self, question: Question, hits: list[Hit], corpus: CorpusView
    ) -> list[Candidate]:
        """Every sentence of the top passages, scored against the question; scored once for
        the gate and the answerer of the same question and passages."""
        key = (question.text, tuple(hit.chunk.id for hit in hits[: self._params.passages]))
        return list(self._recent.get(key, lambda: self._score(question, hits, corpus)))

    def _score(self, question: Question, hits: list[Hit], corpus: CorpusView) -> list[Candidate]:
        origin: dict[int, str] = {}
        for hit in hits[: self._params.passages]:
            for row in range(*hit.chunk.sentence_rows):
                origin.setdefault(row, hit.chunk.id)
        if not origin:
            return []
        rows = list(origin)
        sentences = corpus.sentences
        similarity = np.asarray(corpus.sentence_vectors[rows] @ question.vector[0])
        bm25 = corpus.bm25
        # Sums over sets of terms are math.fsum: exact whatever the order, which string hashing
        # changes from one process to the next, so that ties break the same way every run.
        # Terms no chunk contains cannot match any sentence: leaving them out keeps the
        # ranking comparable between questions with and without such words. But a name the
        # corpus has never seen ("the capital of Brazil") weakens the evidence for any answer.
        weights = {t: bm25.idf(t) for t in set(question.terms) if bm25.knows(t)}
        total = math.fsum(weights.values()) or 1.0
        names = name_terms(question.text)
        unknown = {t for t in question.terms if not bm25.knows(t)}
        missing = math.fsum(
            bm25.idf(t) * (1.0 if t in names else UNKNOWN_WORD_WEIGHT) for t in unknown
        )
        discount = total / (total + missing)
        answer_type = expected_answer_type(question.text)
        p = self._params
        candidates = []
        for row, cosine in zip(rows, similarity.tolist(), strict=True):
            sentence = sentences[row]
            before = sentences[row - 1] if row > 0 else None
            if before is not None and (before.doc_id, before.section) != (
                sentence.doc_id,
                sentence.section,
            ):
                before = None
            own = math.fsum(weights[t] for t in weights.keys() & set(sentence.terms)) / total
            window_terms = set(sentence.terms) | set(before.terms if before else ())
            window = math.fsum(weights[t] for t in weights.keys() & window_terms) / total
            overlap = (1 - p.context_weight) * own + p.context_weight * window
            typed = self._holds(answer_type, sentence)
            bonus = p.type_bonus if answer_type and typed else 0.0
            similar = p.similarity_weight * cosine + bonus
            relevance = similar + (1 - p.similarity_weight) * overlap
            evidence = similar + (1 - p.similarity_weight) * overlap * discount
            # It leans on the sentence before when that one holds most of what matches the
            # question, or when it opens by pointing back ("In reaction, ...").
            leans_on_before = before is not None and (
                window - own > own or bool(CARRIES_ON.match(sentence.text))
            )
            candidates.append(
                Candidate(
                    sentence,
                    origin[row],
                    relevance,
                    evidence,
                    frozenset(weights.keys() & window_terms),
                    typed,
                    before if leans_on_before else None,
                )
            )
        return candidates

    def _holds(self, answer_type: AnswerType | None, sentence: Sentence) -> bool:
        """`holds` for an indexed sentence, remembered: the same sentences come up again."""
        if answer_type is None:
            return True
        key = (answer_type, sentence.row)
        found = self._holds_cache.get(key)
        if found is None:
            found = self._holds_cache[key] = holds(answer_type, sentence.text)
        return found
