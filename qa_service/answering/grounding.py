"""Draft -> answer: every sentence must be supported by the spans it cites, or it is dropped.

This runs after any `Answerer`, so whatever produced the draft, the answer that leaves the
service only says what its citations say: the `SupportJudge` reads each sentence against the
quotes it cites, read from the documents themselves, and markers are numbered by first use.
"""

from __future__ import annotations

import re
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


def ground(draft: Draft, documents: dict[str, Document], judge: SupportJudge) -> Answer:
    """Keep the claims their cited spans support; number the citations by first use."""
    if not draft.claims:
        return abstain(draft.abstention_reason or NOTHING_SUPPORTED)
    quoted: list[tuple[Claim, list[str]]] = []
    dropped = 0
    for claim in draft.claims:
        found = [_quote(documents, source) for source in claim.sources]
        if claim.sources and None not in found:
            quoted.append((claim, [q for q in found if q is not None]))
        else:
            dropped += 1  # no citation, or one outside its document: unsupported by definition
    verdicts = judge.judge([(claim.text, " ".join(quotes)) for claim, quotes in quoted])
    parts: list[str] = []
    citations: list[Citation] = []
    marker_of: dict[tuple[str, int, int], int] = {}
    for (claim, quotes), verdict in zip(quoted, verdicts, strict=True):
        if not verdict.supported:
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
                        quote=quote,
                        start=source.start,
                        end=source.end,
                        chunk_id=source.chunk_id,
                        support=round(verdict.score, 3),
                    )
                )
            markers.append(marker_of[key])
        parts.append(with_markers(claim.text, markers))
    if not parts:
        return abstain(NOTHING_SUPPORTED, dropped)
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
