"""Ranked passages -> a draft whose every sentence cites a span, or an empty draft to abstain.

`Answerer` is the seam for other backends (a generative model, say): it gets the question and
the hits and returns a `Draft`; grounding then checks every sentence against what it cites.
The default, `ExtractiveAnswerer`, needs no model call: it scores the sentences of the top
passages against the question (their precomputed vectors, idf-weighted term overlap with the
sentence and the sentence before it, and whether it holds the kind of answer asked for: a
number, a date), keeps the best ones diverse (maximal marginal relevance), each adding a
question term the others miss, within a token budget, brings along the sentence before one
that only makes sense after it ("During this meeting, ..."), and puts them in reading order,
each citing its own span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from indexer.artifact import CorpusIndex
from indexer.chunking import Sentence
from indexer.embedding import Vectors
from indexer.lexical import terms
from qa_service.grounding import Claim, Draft, Source
from qa_service.retrieval import Hit
from qa_service.settings import Settings

AnswerType = Literal["number", "date"]
_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|short|large|big|small|far|old|tall|high|wide|deep|heavy|often)|"
    r"what (share|percentage|proportion|number|"
    r"amount|value|size|sum)|(number|percentage|share|value|amount|cost|size) of)\b",
    re.IGNORECASE,
)
# A sentence that opens like this carries on from the one before: "This decision was taken...".
_CARRIES_ON = re.compile(
    r"^(?:But |And |However, |Thus, |Then |So )?(?:this|these|that|those|it|its|he|his|she|her|"
    r"they|their|the latter|the former|the two|during this|after this|following this|in return|"
    r"in exchange|in reaction|in response|as a result)\b",
    re.IGNORECASE,
)
# "When did...", "since when", "in what year": not "what happened when fires broke out".
_ASKS_DATE = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?when\b|\b(?:since|until|till) when\b|"
    r"\b(?:what|which) (?:year|date|month|decade)\b|\bdate of\b",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_DATE = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b{_MONTH}\b|\b\d{{1,4}} ?(?:BC|BCE|AD|CE)\b|"
    r"\b\d{1,2}(?:st|nd|rd|th) century\b",
)
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?:1[0-9]|20)[0-9]{2}")
_DAY_BEFORE_MONTH = re.compile(rf"\d{{1,2}}(?:st|nd|rd|th)? {_MONTH}")
_MONTH_BEFORE_DAY = re.compile(rf"{_MONTH} $")
UNKNOWN_WORD_WEIGHT = 0.25
_NAME = re.compile(r"(?<!^)\b[A-Z][\w'’-]*")
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|half|third|quarter)\b",
    re.IGNORECASE,
)


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
    similarity_weight: float  # relevance = w * cosine + (1 - w) * term overlap
    context_weight: float  # share of the overlap counted over the sentence and its predecessor
    type_bonus: float  # for a sentence holding the kind of answer the question asks for
    typed_focus: float  # the answer type must be in a sentence scoring this share of the best
    follow_on: bool  # bring along the next sentence when it carries on from a chosen one

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerParams:
        return cls(
            passages=settings.answer_passages,
            max_sentences=settings.answer_max_sentences,
            max_tokens=settings.answer_max_tokens,
            relative_floor=settings.answer_relative_floor,
            mmr_lambda=settings.mmr_lambda,
            abstain_below=settings.abstain_below,
            similarity_weight=settings.answer_similarity_weight,
            context_weight=settings.answer_context_weight,
            type_bonus=settings.answer_type_bonus,
            typed_focus=settings.answer_typed_focus,
            follow_on=settings.answer_follow_on,
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


def expected_answer_type(question: str) -> AnswerType | None:
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DATE.search(question):
        return "date"
    return None


def holds(answer_type: AnswerType | None, text: str) -> bool:
    if answer_type == "number":
        return has_quantity(text)
    if answer_type == "date":
        return bool(_DATE.search(text))
    return True


def name_terms(question: str) -> set[str]:
    """Terms of the capitalised words after the first: the names a question asks about."""
    return {t for match in _NAME.finditer(question) for t in terms(match.group())}


def has_quantity(text: str) -> bool:
    """A number that is not a year or the day of a date, or a number word."""
    for numeral in _NUMERAL.finditer(text):
        if _YEAR.fullmatch(numeral.group()):
            continue
        if _DAY_BEFORE_MONTH.match(text, numeral.start()) or _MONTH_BEFORE_DAY.search(
            text, 0, numeral.start()
        ):
            continue
        return True
    return bool(_NUMBER_WORD.search(text))


class ExtractiveAnswerer:
    def __init__(self, index: CorpusIndex, params: AnswerParams) -> None:
        self._index = index
        self._params = params
        # At most one entry per sentence and answer type, so it is bounded by the index size.
        self._holds_cache: dict[tuple[AnswerType, int], bool] = {}

    def draft(self, question: Question, hits: list[Hit]) -> Draft:
        candidates = self._candidates(question, hits)
        # Evidence is only as strong as the best sentence holding the kind of answer asked for:
        # "how many" answered by sentences without a quantity is no answer.
        best = max((c.relevance for c in candidates), default=0.0)
        evidence = max(
            (
                c.evidence
                for c in candidates
                if c.relevance >= best * self._params.typed_focus and c.typed
            ),
            default=0.0,
        )
        if evidence < self._params.abstain_below:
            return Draft([])
        claims: list[Claim] = []
        chosen = self._select(candidates)
        tokens = sum(self._size(c) for c in chosen)
        for candidate in self._reading_order(chosen):
            sentences = (
                [candidate.context, candidate.sentence]
                if candidate.context
                else [candidate.sentence]
            )
            after = self._carrying_on(candidate.sentence)
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
        # ranking comparable between questions with and without such words. But a name the
        # corpus has never seen ("the capital of Brazil") weakens the evidence for any answer.
        weights = {t: bm25.idf(t) for t in set(question.terms) if bm25.knows(t)}
        total = sum(weights.values()) or 1.0
        names = name_terms(question.text)
        unknown = {t for t in question.terms if not bm25.knows(t)}
        missing = sum(bm25.idf(t) * (1.0 if t in names else UNKNOWN_WORD_WEIGHT) for t in unknown)
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
            own = sum(weights[t] for t in weights.keys() & set(sentence.terms)) / total
            window_terms = set(sentence.terms) | set(before.terms if before else ())
            window = sum(weights[t] for t in weights.keys() & window_terms) / total
            overlap = (1 - p.context_weight) * own + p.context_weight * window
            typed = self._holds(answer_type, sentence)
            bonus = p.type_bonus if answer_type and typed else 0.0
            similar = p.similarity_weight * cosine + bonus
            relevance = similar + (1 - p.similarity_weight) * overlap
            evidence = similar + (1 - p.similarity_weight) * overlap * discount
            # It leans on the sentence before when that one holds most of what matches the
            # question, or when it opens by pointing back ("In reaction, ...").
            leans_on_before = before is not None and (
                window - own > own or bool(_CARRIES_ON.match(sentence.text))
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

    def _carrying_on(self, sentence: Sentence) -> Sentence | None:
        """The next sentence of the same section, if it reads as a continuation of this one."""
        if not self._params.follow_on or sentence.row + 1 >= len(self._index.sentences):
            return None
        after = self._index.sentences[sentence.row + 1]
        same_place = (after.doc_id, after.section) == (sentence.doc_id, sentence.section)
        return after if same_place and _CARRIES_ON.match(after.text) else None

    @staticmethod
    def _size(candidate: Candidate) -> int:
        context = candidate.context.tokens if candidate.context else 0
        return candidate.sentence.tokens + context

    def _select(self, candidates: list[Candidate]) -> list[Candidate]:
        """Maximal marginal relevance within the sentence and token budgets, best first.

        After the first, a sentence is taken only if it adds something: a question term the
        answer does not cover yet, or the kind of answer asked for when no chosen one holds it.
        """
        pool = sorted(candidates, key=lambda c: -c.relevance)
        floor = pool[0].relevance * self._params.relative_floor
        pool = [c for c in pool if c.relevance >= floor]
        vectors = self._index.sentence_vectors[[c.sentence.row for c in pool]]
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
