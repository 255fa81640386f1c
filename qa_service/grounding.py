"""Draft -> answer: every sentence must be supported by the spans it cites, or it is dropped.

This runs after any `Answerer`, so whatever produced the draft, the answer that leaves the
service only says what its citations say. The support score is lexical: the share of the
sentence's content terms found in its cited quotes, and zero when the sentence carries a
number the quotes do not. A sentence extracted verbatim scores 1; one rewritten, merged or
attached to the wrong span scores less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus import Document
from indexer.lexical import terms
from qa_service.schemas import Citation

ABSTENTION = "The sources do not answer this question."
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CLOSING_PUNCTUATION = re.compile(r"([.!?…]+[\"”’)\]]*)$")


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
    claims: list[Claim]  # in the order they are to be read; empty to abstain


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    citations: list[Citation]
    dropped: int  # claims the grounding check removed


def support_score(sentence: str, quote: str) -> float:
    sentence_terms = set(terms(sentence))
    if not sentence_terms:
        return 0.0
    numbers = {n.replace(",", "") for n in _NUMBER.findall(sentence)}
    if not numbers <= {n.replace(",", "") for n in _NUMBER.findall(quote)}:
        return 0.0
    return len(sentence_terms & set(terms(quote))) / len(sentence_terms)


def ground(draft: Draft, documents: dict[str, Document], threshold: float) -> Answer:
    """Keep the claims their cited spans support; number the citations by first use."""
    parts: list[str] = []
    citations: list[Citation] = []
    marker_of: dict[tuple[str, int, int], int] = {}
    dropped = 0
    for claim in draft.claims:
        quotes = [_quote(documents, source) for source in claim.sources]
        if not claim.sources or None in quotes:
            dropped += 1
            continue
        support = support_score(claim.text, " ".join(q for q in quotes if q))
        if support < threshold:
            dropped += 1
            continue
        markers = []
        for source, quote in zip(claim.sources, quotes, strict=True):
            key = (source.doc_id, source.start, source.end)
            if key not in marker_of:
                marker_of[key] = len(marker_of) + 1
                citations.append(
                    Citation(
                        marker=marker_of[key],
                        doc_id=source.doc_id,
                        title=documents[source.doc_id].title,
                        section=documents[source.doc_id].section_at(source.start).path,
                        quote=quote or "",
                        start=source.start,
                        end=source.end,
                        chunk_id=source.chunk_id,
                        support=round(support_score(claim.text, quote or ""), 3),
                    )
                )
            markers.append(marker_of[key])
        parts.append(with_markers(claim.text, markers))
    if not parts:
        return Answer(ABSTENTION, True, [], dropped)
    return Answer(" ".join(parts), False, citations, dropped)


def with_markers(sentence: str, markers: list[int]) -> str:
    """'Text.' -> 'Text [1][2].': the markers sit inside the sentence they belong to."""
    tags = "".join(f"[{m}]" for m in markers)
    match = _CLOSING_PUNCTUATION.search(sentence)
    if match is None:
        return f"{sentence} {tags}"
    return f"{sentence[: match.start()]} {tags}{match.group()}"


def _quote(documents: dict[str, Document], source: Source) -> str | None:
    """The cited text, read from the document itself; None if the span is not in it."""
    document = documents.get(source.doc_id)
    if document is None or not 0 <= source.start < source.end <= len(document.text):
        return None
    return document.text[source.start : source.end]
