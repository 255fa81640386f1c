"""The three roles of answering, as protocols, and the small objects that pass between them.

Question -> `EvidenceGate` (is the answer in these passages?) -> `Answerer` (a draft whose every
sentence cites spans) -> `SupportJudge` (does each cited quote say what its sentence says?) ->
grounded answer. The pipeline picks one implementation of each from the settings; a test can
pass any object with the right methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from indexer.embedding import Vectors
from indexer.store import CorpusView
from qa_service.retrieval import Hit
from qa_service.schemas import Turn


@dataclass(frozen=True)
class Question:
    text: str  # the query that was searched (the question resolved against the history)
    vector: Vectors  # its normalised embedding, shape (1, dimension)
    terms: list[str]


@dataclass(frozen=True)
class AnswerContext:
    """Everything an answer may be made from."""

    asked: str  # the user's question, as written
    history: Sequence[Turn]  # earlier turns, oldest first
    query: Question  # the question resolved against the history, embedded and analysed
    hits: list[Hit]  # the ranked passages, best first
    corpus: CorpusView  # the sentences, vectors, term statistics and documents behind the hits


@dataclass(frozen=True)
class Source:
    """A span of a document that a sentence cites."""

    doc_id: str
    start: int
    end: int
    chunk_id: str


@dataclass(frozen=True)
class Claim:
    """One sentence of a draft answer and the spans it cites."""

    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Draft:
    claims: list[Claim]  # in the order they are to be read; empty when nothing can be said
    abstention_reason: str | None = None  # why the answerer said nothing, if it knows


@dataclass(frozen=True)
class GateDecision:
    answerable: bool
    score: float  # the evidence the decision read; higher is more answerable
    reason: str | None = None  # for the user, when not answerable


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # 0 to 1: how well the quote supports the claim
    reason: str | None = None  # why not, when not supported ("the quote says 1975, not 1976")


class EvidenceGate(Protocol):
    def decide(self, context: AnswerContext) -> GateDecision:
        """Whether the passages hold the answer; abstain (with a reason) when they do not."""
        ...


class Answerer(Protocol):
    def draft(self, context: AnswerContext) -> Draft:
        """Sentences, each citing the spans that say it."""
        ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    def stream(self, context: AnswerContext) -> Iterator[Draft]:
        """The draft in pieces while it is made: each piece holds whole sentences; `draft`
        returns them all at once."""
        ...


class SupportJudge(Protocol):
    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        """For each (claim, quote) pair: does the quote support the claim? One verdict each."""
        ...
