"""Grounded answer + question -> short answer: the words of a cited sentence that answer it.

Runs after grounding, on the sentences the answer cites. For a fact question (who, what, when,
where, which, how many/much/long) it takes typed candidate spans of the cited sentences (numbers
with their unit, dates, capitalised names, runs of content words), drops the words the question
already contains, and keeps the candidate that fits the kind of answer asked for and sits
closest to the question's terms in the sentence that matches the question best. No model: when
no candidate fits, there is no short answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.analysis import (
    DEFAULT_ANALYZER,
    STOPWORDS,
    AnswerType,
    Asked,
    asked_for,
    holds,
    terms,
)
from qa_service.answering.roles import Source

_WORD = re.compile(r"[\w$€£%][\w'’.,%/-]*[\w%]|[\w$€£%]")
_BREAK = re.compile(r"[;:()\[\]\"“”]|,\s|\.\s|\s[–—-]\s")  # candidates never cross these
_CAPITALISED = re.compile(r"[A-Z0-9]")
_JOINS_NAMES = frozenset({"of", "the", "and", "de", "al", "for", "on", "bin", "ibn"})
_HEAD = re.compile(r"\b(?:what|which|how many|how much)\s+([\w-]+)", re.IGNORECASE)
# Words that extend a number: "5 million", "25 per cent".
_MAGNITUDE = frozenset(
    {"hundred", "thousand", "million", "billion", "trillion", "percent", "per", "square", "cubic"}
)
# Words before a number that belong to the quantity: "about 300", "more than 900".
_APPROXIMATE = frozenset(
    {"about", "around", "nearly", "approximately", "almost", "roughly", "some"}
)
_COMPARED = frozenset({"more", "less", "fewer"})
MAX_WORDS = 5
_PHRASE_JOINS = frozenset({"of", "and", "or"})  # a short answer is a phrase, not a clause


@dataclass(frozen=True)
class Span:
    """A candidate short answer inside one cited sentence; offsets are document offsets."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Word:
    start: int  # offset in the sentence
    end: int
    text: str
    term: str | None  # its stemmed term, None for a stop word
    capitalised: bool  # and not the sentence's first word
    after_break: bool  # punctuation that ends a phrase comes before it


def short_answer(question: str, cited: Sequence[tuple[Source, str]]) -> Span | None:
    """The best-fitting span of the cited sentences (each a `Source` with its text), or None."""
    asked = asked_for(question)
    if asked is None or not cited:
        return None
    question_terms = set(terms(question))
    head_match = _HEAD.search(question)
    head = set(terms(head_match.group(1))) if head_match else set()
    best: tuple[float, Span] | None = None
    for rank, source, sentence, matched, candidate in _admissible(asked, question_terms, cited):
        words = sentence.words
        first, last, inside = candidate.first, candidate.last, candidate.inside
        # The sentence matching the question best is where its answer most likely is.
        sentence_weight = len({words[i].term for i in matched}) - 0.5 * rank
        # The noun the question asks about ("which ministry") names or follows the answer.
        names_head = bool(head & inside) or (last + 1 < len(words) and words[last + 1].term in head)
        distance = min(max(i - last, first - i, 0) for i in matched)
        # A full date says more than a bare year: "15 August 1990" over "1990".
        specific = 0.5 * (last - first) if asked == "date" else 0.0
        score = (
            10 * candidate.fit
            + specific
            + 2 * names_head
            + sentence_weight
            - 0.3 * distance
            - 0.5 * len(inside & question_terms - head)
        )
        span = Span(
            source.doc_id,
            source.start + words[first].start,
            source.start + words[last].end,
            candidate.text,
        )
        if best is None or score > best[0]:
            best = (score, span)
    return best[1] if best else None


def has_short_answer(question: str, cited: Sequence[tuple[Source, str]]) -> bool:
    """Whether `short_answer` finds a span: the first that may answer is enough, unscored."""
    asked = asked_for(question)
    if asked is None:
        return False
    admissible = _admissible(asked, set(terms(question)), cited)
    return next(admissible, None) is not None


def _admissible(
    asked: Asked, question_terms: set[str], cited: Sequence[tuple[Source, str]]
) -> Iterator[tuple[int, Source, _Sentence, list[int], _Candidate]]:
    """The spans that may answer, lazily, each with its sentence's rank, source, reading and
    words the question shares: of the kind asked for, adding a word the question lacks, in a
    sentence that shares one with it, and not an opening connective."""
    for rank, (source, text) in enumerate(cited):
        sentence = _sentence(text)
        matched = [i for i, w in enumerate(sentence.words) if w.term in question_terms]
        if not matched:
            continue
        for candidate in sentence.candidates(question_terms, asked):
            if (
                candidate.fit != 0.0
                and candidate.inside - question_terms - {None}
                and not candidate.connective
            ):
                yield rank, source, sentence, matched, candidate


@dataclass(frozen=True)
class _Candidate:
    """A span of a sentence's words that may answer, with what scoring reads of it."""

    first: int  # word indexes
    last: int
    text: str
    fit: float  # `_fit` for the kind of answer asked for
    inside: frozenset[str | None]  # the terms of its words
    connective: bool


# Sentences whose reading is kept: the same sentences come up again (the gate's window, then the
# answer's citations, then other questions on the same passages). A reading is a pure function
# of the text, so an entry is right for any index; the bound keeps the memory small.
CACHED_SENTENCES = 2048


class _Sentence:
    """A sentence's words and the spans weighed in it, each read once (`_sentence`); safe to
    share between threads (two threads may read a span twice, to the same result)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = _words(text)
        self._spans: dict[tuple[int, int, Asked], _Candidate] = {}
        self._typed: dict[Asked, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}

    def candidates(self, question_terms: set[str], asked: Asked) -> Iterator[_Candidate]:
        """The spans that may answer, by the kind asked for, in the order they are weighed:
        for a thing, names, then runs of content words the question lacks, then quantities and
        dates; each read when it is reached."""
        before, after = self._typed_spans(asked)
        spans = before
        if asked == "thing":
            spans = before + _content_runs(self.words, question_terms) + after
        return (self._span(first, last, asked) for first, last in spans)

    def _typed_spans(self, asked: Asked) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The spans that do not depend on the question: those weighed before a thing's runs of
        content words, and those after."""
        found = self._typed.get(asked)
        if found is None:
            words, text = self.words, self.text
            if asked == "number":
                found = _quantities(words), []
            elif asked == "date":
                found = _dates(words, text), []
            elif asked in ("name", "place"):
                found = _names(words), []
            else:
                found = _names(words), _quantities(words) + _dates(words, text)
            self._typed[asked] = found
        return found

    def _span(self, first: int, last: int, asked: Asked) -> _Candidate:
        found = self._spans.get((first, last, asked))
        if found is None:
            words = self.words
            text = self.text[words[first].start : words[last].end]
            inside = words[first : last + 1]
            found = self._spans[(first, last, asked)] = _Candidate(
                first,
                last,
                text,
                _fit(asked, text, inside),
                frozenset(w.term for w in inside),
                _connective(words, last),
            )
        return found


@lru_cache(maxsize=CACHED_SENTENCES)
def _sentence(text: str) -> _Sentence:
    return _Sentence(text)


def _connective(words: Sequence[Word], last: int) -> bool:
    """The sentence's opening word before a comma: "However, ...", "Thus, ...", "Indeed, ..."."""
    return last == 0 and len(words) > 1 and words[1].after_break


def _words(text: str) -> tuple[Word, ...]:
    words = []
    previous_end = 0
    for match in _WORD.finditer(text):
        token = match.group()
        words.append(
            Word(
                match.start(),
                match.end(),
                token,
                _term(token),
                bool(_CAPITALISED.match(token)) and match.start() > 0,
                bool(_BREAK.search(text, previous_end, match.start())),
            )
        )
        previous_end = match.end()
    return tuple(words)


# Words (and spans of a few) whose readings are kept: most come up in many sentences.
CACHED_WORDS = 16384


@lru_cache(maxsize=CACHED_WORDS)
def _term(token: str) -> str | None:
    """A word's stemmed term; None for a stop word."""
    stemmed = terms(token)
    return stemmed[0] if stemmed and token.lower() not in STOPWORDS else None


@lru_cache(maxsize=CACHED_WORDS)
def _holds(answer_type: AnswerType, text: str) -> bool:
    """`holds` for a word or a span: "1,458 kilometers" holds a quantity."""
    return holds(answer_type, text)


def _quantities(words: Sequence[Word]) -> list[tuple[int, int]]:
    """A number, its magnitude words and the word it counts: "5 million barrels", "1,458 km"."""
    spans = []
    for i, word in enumerate(words):
        if not _holds("number", word.text) and not (
            i + 1 < len(words) and _holds("number", f"{word.text} {words[i + 1].text}")
        ):
            continue
        last = i
        while last + 1 < len(words) and words[last + 1].text.lower() in _MAGNITUDE:
            last += 1
        following = words[last + 1] if last + 1 < len(words) else None
        if (
            following is not None
            and not following.after_break
            and following.term is not None
            and following.text.islower()
            and not following.text.endswith(("ed", "ing", "ly"))
        ):
            last += 1
        spans.append((_qualified(words, i), last))
    return spans


def _qualified(words: Sequence[Word], i: int) -> int:
    """Where the quantity at word `i` starts, with what qualifies it ("more than 900")."""
    if i >= 1 and not words[i].after_break and words[i - 1].text.lower() in _APPROXIMATE:
        return i - 1
    if (
        i >= 2
        and not words[i].after_break
        and not words[i - 1].after_break
        and words[i - 1].text.lower() == "than"
        and words[i - 2].text.lower() in _COMPARED
    ):
        return i - 2
    return i


def _dates(words: Sequence[Word], text: str) -> list[tuple[int, int]]:
    starts = {w.start: i for i, w in enumerate(words)}
    ends = {w.end: i for i, w in enumerate(words)}
    return [
        (starts[start], ends[end])
        for start, end in DEFAULT_ANALYZER.date_spans(text)
        if start in starts and end in ends
    ]


def _names(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Maximal runs of capitalised words, joined by "of", "the", "and" ("Ministry of Interior")."""
    spans = []
    i = 0
    while i < len(words):
        if not words[i].capitalised:
            i += 1
            continue
        last = i
        while last + 1 < len(words) and not words[last + 1].after_break:
            following = words[last + 1]
            if following.capitalised:
                last += 1
            elif (
                following.text.lower() in _JOINS_NAMES
                and last + 2 < len(words)
                and words[last + 2].capitalised
            ):
                last += 2
            else:
                break
        spans.append((i, last))
        i = last + 1
    return spans


def _content_runs(words: Sequence[Word], question_terms: set[str]) -> list[tuple[int, int]]:
    """Runs of content words the question lacks, within a clause, and their sub-runs; "of",
    "and" and "or" between two of them join them ("constant factors and smaller terms")."""

    def new(i: int) -> bool:
        return i < len(words) and words[i].term is not None and words[i].term not in question_terms

    runs: list[list[int]] = []
    current: list[int] = []
    for i, word in enumerate(words):
        if current and word.after_break:
            runs.append(current)
            current = []
        if new(i):
            current.append(i)
        elif current and word.text.lower() in _PHRASE_JOINS and new(i + 1):
            continue
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [
        (run[a], run[b])
        for run in runs
        for a in range(len(run))
        for b in range(a, min(len(run), a + MAX_WORDS))
    ]


def _fit(asked: Asked, span: str, words: Sequence[Word]) -> float:
    """How well a span fits the kind of answer asked for: 0 (not at all) to 1."""
    if asked in ("number", "date"):
        return 1.0 if _holds(asked, span) else 0.0
    # The sentence's first word is capitalised whatever it is ("However", "Thus").
    capitalised = all(w.capitalised for w in words if w.text.lower() not in _JOINS_NAMES)
    if asked in ("name", "place"):
        # "January 2016" is capitalised, but a date answers no "who" nor "where"
        return 1.0 if capitalised and not _holds("date", span) else 0.0
    if _holds("number", span) or _holds("date", span):
        return 0.6
    return 0.8 if capitalised else 0.5
