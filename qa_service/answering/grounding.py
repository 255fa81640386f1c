"""Draft -> answer: every sentence must be supported by the spans it cites, or it is dropped.

This runs after any `Answerer`, so whatever produced the draft, the answer that leaves the
service only says what its citations say: the `SupportJudge` reads each sentence against the
quotes it cites, read from the documents themselves, and markers are numbered by first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from corpus import Document
from qa_service.answering.roles import Claim, Draft, Source, SupportJudge
from qa_service.schemas import Citation

ABSTENTION = "The sources do not answer this question."
NOTHING_SUPPORTED = "no sentence of the drafted answer is supported by the passages it cites"
_CLOSING_PUNCTUATION = re.compile(r"([.!?…]+[\"”’)\]]*)$")


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    citations: list[Citation]
    dropped: int  # claims the support judge (or a broken citation) removed
    abstention_reason: str | None = None


def abstain(reason: str, dropped: int = 0) -> Answer:
    return Answer(ABSTENTION, True, [], dropped, reason)


def ground(draft: Draft, documents: Mapping[str, Document], judge: SupportJudge) -> Answer:
    """Keep the claims their cited spans support; number the citations by first use."""
    grounder = Grounder(documents, judge)
    grounder.add(draft.claims)
    return grounder.answer(draft.abstention_reason)


@dataclass(frozen=True)
class Grounded:
    """A sentence that its citations support, with its markers, and the citations it uses."""

    text: str
    citations: list[Citation]


class Grounder:
    """`ground`, a few claims at a time: a stream releases each sentence once it is judged."""

    def __init__(self, documents: Mapping[str, Document], judge: SupportJudge) -> None:
        self._documents = documents
        self._judge = judge
        self._drafted = 0
        self._dropped = 0
        self._sentences: list[str] = []
        self._citations: list[Citation] = []
        self._marker_of: dict[tuple[str, int, int], int] = {}

    def add(self, claims: Sequence[Claim]) -> list[Grounded]:
        """The claims the judge finds supported, with markers numbered on from earlier ones."""
        self._drafted += len(claims)
        quoted: list[tuple[Claim, list[str]]] = []
        for claim in claims:
            found = [_quote(self._documents, source) for source in claim.sources]
            if claim.sources and None not in found:
                quoted.append((claim, [q for q in found if q is not None]))
            else:
                self._dropped += 1  # no citation, or one outside its document: unsupported
        if not quoted:
            return []
        verdicts = self._judge.judge([(claim.text, " ".join(quotes)) for claim, quotes in quoted])
        kept = []
        for (claim, quotes), verdict in zip(quoted, verdicts, strict=True):
            if not verdict.supported:
                self._dropped += 1
                continue
            used = [
                self._citation(source, quote, verdict.score)
                for source, quote in zip(claim.sources, quotes, strict=True)
            ]
            markers = list(dict.fromkeys(c.marker for c in used))
            text = with_markers(claim.text, markers)
            self._sentences.append(text)
            kept.append(Grounded(text, list({c.marker: c for c in used}.values())))
        return kept

    def answer(self, abstention_reason: str | None = None) -> Answer:
        """The answer so far; it abstains when no claim survived."""
        if not self._drafted:
            return abstain(abstention_reason or NOTHING_SUPPORTED)
        if not self._sentences:
            return abstain(abstention_reason or NOTHING_SUPPORTED, self._dropped)
        return Answer(" ".join(self._sentences), False, self._citations, self._dropped)

    def _citation(self, source: Source, quote: str, support: float) -> Citation:
        key = (source.doc_id, source.start, source.end)
        if key in self._marker_of:
            return self._citations[self._marker_of[key] - 1]
        self._marker_of[key] = len(self._marker_of) + 1
        document = self._documents[source.doc_id]
        citation = Citation(
            marker=self._marker_of[key],
            doc_id=source.doc_id,
            title=document.title,
            section=document.section_at(source.start).path,
            quote=quote,
            start=source.start,
            end=source.end,
            chunk_id=source.chunk_id,
            support=round(support, 3),
        )
        self._citations.append(citation)
        return citation


def with_markers(sentence: str, markers: list[int]) -> str:
    """'Text.' -> 'Text [1][2].': the markers sit inside the sentence they belong to."""
    tags = "".join(f"[{m}]" for m in markers)
    match = _CLOSING_PUNCTUATION.search(sentence)
    if match is None:
        return f"{sentence} {tags}"
    return f"{sentence[: match.start()]} {tags}{match.group()}"


def _quote(documents: Mapping[str, Document], source: Source) -> str | None:
    """The cited text, read from the document itself; None if the span is not in it."""
    document = documents.get(source.doc_id)
    if document is None or not 0 <= source.start < source.end <= len(document.text):
        return None
    return document.text[source.start : source.end]
