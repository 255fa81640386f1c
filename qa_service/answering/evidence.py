"""Passages -> scored sentences: how well each sentence of the top passages answers the question.

Both the evidence gate and the extractive answerer read these scores: the sentence vectors
precomputed by the indexer, idf-weighted term overlap with the sentence and the sentence before
it, and whether it holds the kind of answer asked for (a number, a date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from indexer.analysis import STOPWORDS, terms
from indexer.chunking import Sentence
from indexer.store import CorpusView
from qa_service.answering.roles import Question
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
CARRIES_ON = re.compile(
    r"^(?:But |And |However, |Thus, |Then |So )?(?:this|these|that|those|it|its|he|his|she|her|"
    r"they|their|the latter|the former|the two|during this|after this|following this|in return|"
    r"in exchange|in reaction|in response|as a result)\b",
    re.IGNORECASE,
)
# "When did...", "since when", "in what year": not "what happened when fires broke out", and
# not "when is the index stale?" either: a present-tense "when" asks for a condition as often
# as for a date.
_ASKS_DATE = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?when\b(?!\s+(?:is|are|does|do|can|could|should|will|would|"
    r"must|may|might|shall)\b)|\b(?:since|until|till) when\b|"
    r"\b(?:what|which) (?:year|date|month|decade|century|time)\b|\bdate of\b",
    re.IGNORECASE,
)
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b{MONTH}\b|\b\d{{1,4}} ?(?:BC|BCE|AD|CE)\b|"
    r"\b\d{1,2}(?:st|nd|rd|th) century\b",
)
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?:1[0-9]|20)[0-9]{2}")
_DAY_BEFORE_MONTH = re.compile(rf"\d{{1,2}}(?:st|nd|rd|th)? {MONTH}")
_MONTH_BEFORE_DAY = re.compile(rf"{MONTH} $")
UNKNOWN_WORD_WEIGHT = 0.25
_NAME = re.compile(r"(?<!^)\b[A-Z][\w'’-]*")
_NUMBER_WORD = re.compile(
    r"(?<!\bno )\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|half|third|quarter)\b",
    re.IGNORECASE,
)
_PARTS = frozenset({"half", "third", "quarter"})  # quantities only as "a third of ..."
_MULTIPLES = frozenset(
    {"hundreds", "thousands", "millions", "billions", "dozens", "hundred", "thousand", "million"}
)
_OF = re.compile(r"\s+of\b", re.IGNORECASE)
# The word after a number, when it is a lower-case word (hyphens allowed): "1500 soldiers".
_NEXT_WORD = re.compile(r"(?:\s+|-)([a-z][a-z-]*)\b")
# Words that follow a number without being what it counts: "in 1990 against", "one of them".
_NOT_COUNTED = STOPWORDS | frozenset(
    """against among amid around across along through toward towards upon within without
    because although though whereas unless as onwards onward ago later earlier already alone
    another such""".split()  # noqa: SIM905
)


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
    """A number that is not a year or the day of a date, or a number word that counts something.

    A year-like numeral is a quantity when a counted word follows it ("1500 soldiers"); a
    number word only when it quantifies ("three ministers", "thousands of", not "one of them").
    """
    for numeral in _NUMERAL.finditer(text):
        if _YEAR.fullmatch(numeral.group()) and not _counts(text, numeral.end()):
            continue
        if _DAY_BEFORE_MONTH.match(text, numeral.start()) or _MONTH_BEFORE_DAY.search(
            text, 0, numeral.start()
        ):
            continue
        return True
    for word in _NUMBER_WORD.finditer(text):
        if word.group().lower() in _PARTS:
            if _OF.match(text, word.end()):
                return True
        elif _counts(text, word.end()) or (
            word.group().lower() in _MULTIPLES and _OF.match(text, word.end())
        ):
            return True
    return False


def _counts(text: str, end: int) -> bool:
    """Whether the word after position `end` is something counted: a content word, not "of"."""
    following = _NEXT_WORD.match(text, end)
    return following is not None and following.group(1).lower() not in _NOT_COUNTED


class SentenceScorer:
    """Scores the sentences of the top passages; safe to share between threads."""

    def __init__(self, params: ScoringParams) -> None:
        self._params = params
        # At most one entry per sentence and answer type, so it is bounded by the index size.
        self._holds_cache: dict[tuple[AnswerType, int], bool] = {}

    def candidates(
        self, question: Question, hits: list[Hit], corpus: CorpusView
    ) -> list[Candidate]:
        """Every sentence of the top passages, scored against the question."""
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
