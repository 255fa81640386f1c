"""Answerable gold questions -> synthetic near misses for the gate's fit, SQuAD 2.0 style.

From every answerable dev question, three kinds of unanswerable variant, each built the same
way on any corpus and with nothing random:

- `masked`: the same question against the same passages with its gold evidence (and every
  sentence holding its answer) masked out: the neighbouring facts are there, the answer is not;
- `swapped`: a year, a number or a name of the question replaced by another of the same kind
  from the same corpus that its evidence does not hold ("in 1990" -> "in 1977");
- `flipped`: a qualifier turned to its opposite ("first" -> "last", "most" -> "least") that the
  evidence does not hold, or else a negation added ("did" -> "did not").

`eval/gate_fit.py` reads the gate's features on each variant and weighs them so that they do
not drown the real questions (`gate_fit.NEAR_MISS_WEIGHT`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from corpus import Document
from indexer.analysis import DEFAULT_ANALYZER, STOPWORDS, negated, numeral_spans, terms, years
from indexer.chunking import Sentence
from indexer.store import CorpusView, SentenceRows, TermStats
from qa_service.retrieval import Hit

__all__ = [
    "KINDS",
    "Kind",
    "MaskedView",
    "Pool",
    "flipped",
    "masked_rows",
    "swapped",
]

Kind = Literal["masked", "swapped", "flipped"]
KINDS: tuple[Kind, ...] = ("masked", "swapped", "flipped")

# Qualifiers and their opposites, both ways.
_OPPOSITES = {
    "first": "last",
    "most": "least",
    "largest": "smallest",
    "biggest": "smallest",
    "highest": "lowest",
    "earliest": "latest",
    "greatest": "least",
    "best": "worst",
    "more": "less",
    "before": "after",
    "longest": "shortest",
    "oldest": "newest",
    "maximum": "minimum",
    "increase": "decrease",
    "increased": "decreased",
    "major": "minor",
}
for _word, _opposite in list(_OPPOSITES.items()):
    _OPPOSITES.setdefault(_opposite, _word)  # "smallest" -> "largest", the first it opposes
_QUALIFIER = re.compile(r"\b(?:" + "|".join(sorted(_OPPOSITES, key=len, reverse=True)) + r")\b")
# The auxiliary a negation follows ("What did not ...", "Which is not ..."): the first one.
_AUXILIARY = re.compile(
    r"\b(?:is|was|are|were|did|does|do|can|could|has|have|had|will|would|should|must)\b(?! not\b)"
)
_MAX_NAME_WORDS = 3


def _choice(key: str, options: Sequence[str]) -> str:
    """A deterministic pick among `options`, spread by a hash of `key`."""
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return options[digest % len(options)]


def _said(phrase: str, evidence: str) -> bool:
    """Whether the evidence holds `phrase` (as its terms, in any order, or as written)."""
    found = set(terms(evidence))
    own = terms(phrase)
    return phrase.lower() in evidence.lower() or (bool(own) and all(t in found for t in own))


@dataclass(frozen=True)
class Pool:
    """The years, numbers and names of a corpus's documents, to swap into questions."""

    years: tuple[str, ...]
    numbers: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Pool:
        dates: set[str] = set()
        numbers: set[str] = set()
        names: set[str] = set()
        for text in texts:
            dated, counted = _years_and_numbers(text)
            dates.update(text[start:end] for start, end in dated)
            numbers.update(text[start:end] for start, end in counted)
            for start, end in DEFAULT_ANALYZER.names(text):
                name = text[start:end]
                words = name.split()
                if (
                    len(words) <= _MAX_NAME_WORDS
                    and name.lower() not in STOPWORDS
                    and len(name) > 2
                ):
                    names.add(name)
        return cls(tuple(sorted(dates)), tuple(sorted(numbers)), tuple(sorted(names)))


def _years_and_numbers(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of the years of `text`, and of its other numerals."""
    dated = years(text)
    starts = {start for start, _ in dated}
    return dated, [span for span in numeral_spans(text) if span[0] not in starts]


def swapped(question: str, evidence: str, pool: Pool) -> str | None:
    """The question with a year, else a number, else a name (the longest) replaced by one of
    the same kind from `pool` that the evidence does not hold; None when it has none to swap."""
    dated, counted = _years_and_numbers(question)
    spans = dated or counted
    options = pool.years if dated else pool.numbers
    if not spans:
        names = sorted(DEFAULT_ANALYZER.names(question), key=lambda s: (s[0] - s[1], s[0]))
        spans, options = names[:1], pool.names
    if not spans:
        return None
    start, end = spans[0]
    original = question[start:end]
    fitting = [o for o in options if o.lower() != original.lower() and not _said(o, evidence)]
    if not fitting:
        return None
    return question[:start] + _choice(question, fitting) + question[end:]


def flipped(question: str, evidence: str) -> str | None:
    """The question with its first qualifier turned to the opposite one, when the evidence
    does not hold that; else, when the question is not negated, with "not" after its first
    auxiliary; None when neither applies."""
    for match in _QUALIFIER.finditer(question):
        opposite = _OPPOSITES[match.group()]
        if not re.search(rf"\b{opposite}\b", evidence, re.IGNORECASE):
            return question[: match.start()] + opposite + question[match.end() :]
    if negated(question):
        return None
    auxiliary = _AUXILIARY.search(question)
    if auxiliary is None:
        return None
    return question[: auxiliary.end()] + " not" + question[auxiliary.end() :]


def masked_rows(
    hits: Sequence[Hit],
    sentences: SentenceRows,
    evidence: Mapping[str, Sequence[tuple[int, int]]],
    answers: Sequence[str],
) -> frozenset[int]:
    """The rows of the hits' sentences (and their neighbours) that overlap a gold evidence span
    (`evidence`: document id -> [start, end) spans) or hold one of the answers as written."""
    rows = {
        r
        for hit in hits
        for r in range(max(0, hit.chunk.sentence_rows[0] - 1), hit.chunk.sentence_rows[1] + 1)
        if r < len(sentences)
    }
    lowered = [a.lower() for a in answers if a.strip()]
    found = set()
    for row in rows:
        sentence = sentences[row]
        spans = evidence.get(sentence.doc_id, ())
        if any(sentence.start < end and start < sentence.end for start, end in spans) or any(
            a in sentence.text.lower() for a in lowered
        ):
            found.add(row)
    return frozenset(found)


class _MaskedSentences:
    def __init__(self, sentences: SentenceRows, masked: frozenset[int]) -> None:
        self._sentences = sentences
        self._masked = masked

    def __getitem__(self, row: int, /) -> Sentence:
        sentence = self._sentences[row]
        if row in self._masked:
            return sentence.model_copy(update={"text": "", "terms": (), "tokens": 0})
        return sentence

    def __len__(self) -> int:
        return len(self._sentences)


class _MaskedVectors:
    def __init__(self, vectors: Any, masked: frozenset[int]) -> None:
        self._vectors = vectors
        self._masked = masked

    def __getitem__(self, rows: list[int], /) -> Any:
        found = np.array(self._vectors[rows], copy=True)
        for i, row in enumerate(rows):
            if row in self._masked:
                found[i] = 0.0
        return found


class MaskedView:
    """A corpus view in which some sentences say nothing: empty text, no terms, a zero vector."""

    def __init__(self, view: CorpusView, masked: frozenset[int]) -> None:
        self._view = view
        self._sentences = _MaskedSentences(view.sentences, masked)
        self._vectors = _MaskedVectors(view.sentence_vectors, masked)

    @property
    def documents(self) -> Mapping[str, Document]:
        return self._view.documents

    @property
    def sentences(self) -> _MaskedSentences:
        return self._sentences

    @property
    def sentence_vectors(self) -> _MaskedVectors:
        return self._vectors

    @property
    def bm25(self) -> TermStats:
        return self._view.bm25
