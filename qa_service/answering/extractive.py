"""Scored sentences -> a draft: the best sentences of the passages, each citing its own span.

The default `Answerer` needs no model call: it takes the sentences the `SentenceScorer` rates
best, keeps them diverse (maximal marginal relevance), each adding a question term the others
miss, within a token budget, brings along the sentence before one that only makes sense after
it ("During this meeting, ..."), and puts them in reading order. Whether to answer at all is
the evidence gate's decision, made before this runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.chunking import Sentence
from indexer.store import CorpusView
from qa_service.answering.evidence import CARRIES_ON, Candidate, SentenceScorer
from qa_service.answering.roles import AnswerContext, Claim, Draft, Source
from qa_service.settings import Settings


@dataclass(frozen=True)
class AnswerParams:
    max_sentences: int
    max_tokens: int
    relative_floor: float  # a sentence must score this share of the best sentence
    mmr_lambda: float
    follow_on: bool  # bring along the next sentence when it carries on from a chosen one

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerParams:
        return cls(
            max_sentences=settings.answer_max_sentences,
            max_tokens=settings.answer_max_tokens,
            relative_floor=settings.answer_relative_floor,
            mmr_lambda=settings.mmr_lambda,
            follow_on=settings.answer_follow_on,
        )


class ExtractiveAnswerer:
    def __init__(self, scorer: SentenceScorer, params: AnswerParams) -> None:
        self._scorer = scorer
        self._params = params

    def draft(self, context: AnswerContext) -> Draft:
        candidates = self._scorer.candidates(context.query, context.hits, context.corpus)
        if not candidates:
            return Draft([], "no passage was found")
        claims: list[Claim] = []
        chosen = self._select(candidates, context.corpus)
        tokens = sum(self._size(c) for c in chosen)
        for candidate in self._reading_order(chosen):
            sentences = (
                [candidate.context, candidate.sentence]
                if candidate.context
                else [candidate.sentence]
            )
            after = self._carrying_on(candidate.sentence, context.corpus)
            if after is not None and tokens + after.tokens <= self._params.max_tokens:
                sentences.append(after)
                tokens += after.tokens
            for sentence in sentences:
                claim = Claim(
                    sentence.text,
                    (Source(sentence.doc_id, sentence.start, sentence.end, candidate.chunk_id),),
                )
                if claim not in claims:
                    claims.append(claim)
        return Draft(claims)

    def _carrying_on(self, sentence: Sentence, corpus: CorpusView) -> Sentence | None:
        """The next sentence of the same section, if it reads as a continuation of this one."""
        if not self._params.follow_on or sentence.row + 1 >= len(corpus.sentences):
            return None
        after = corpus.sentences[sentence.row + 1]
        same_place = (after.doc_id, after.section) == (sentence.doc_id, sentence.section)
        return after if same_place and CARRIES_ON.match(after.text) else None

    @staticmethod
    def _size(candidate: Candidate) -> int:
        context = candidate.context.tokens if candidate.context else 0
        return candidate.sentence.tokens + context

    def _select(self, candidates: list[Candidate], corpus: CorpusView) -> list[Candidate]:
        """Maximal marginal relevance within the sentence and token budgets, best first.

        After the first, a sentence is taken only if it adds something: a question term the
        answer does not cover yet, or the kind of answer asked for when no chosen one holds it.
        """
        pool = sorted(candidates, key=lambda c: -c.relevance)
        floor = pool[0].relevance * self._params.relative_floor
        pool = [c for c in pool if c.relevance >= floor]
        vectors = corpus.sentence_vectors[[c.sentence.row for c in pool]]
        relevance = np.array([c.relevance for c in pool])
        lam = self._params.mmr_lambda
        chosen: list[int] = []
        tokens = 0
        covered: frozenset[str] = frozenset()
        typed = False
        while len(chosen) < min(len(pool), self._params.max_sentences):
            redundancy = (
                (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(pool))
            )
            scores = lam * relevance - (1 - lam) * redundancy
            scores[chosen] = -np.inf
            if chosen:  # a further sentence must add to what the answer covers
                for i, candidate in enumerate(pool):
                    if not (candidate.covers - covered or (candidate.typed and not typed)):
                        scores[i] = -np.inf
            if not np.isfinite(scores).any():
                break
            best = int(np.argmax(scores))
            size = self._size(pool[best])
            if chosen and tokens + size > self._params.max_tokens:
                break
            chosen.append(best)
            tokens += size
            covered |= pool[best].covers
            typed = typed or pool[best].typed
        return [pool[i] for i in chosen]

    def _reading_order(self, chosen: list[Candidate]) -> list[Candidate]:
        """Documents in order of their best sentence; sentences in document order within each."""
        doc_rank: dict[str, int] = {}
        for candidate in chosen:  # chosen is best first
            doc_rank.setdefault(candidate.sentence.doc_id, len(doc_rank))
        return sorted(chosen, key=lambda c: (doc_rank[c.sentence.doc_id], c.sentence.start))
