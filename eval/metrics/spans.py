"""Character spans in the corpus: where gold evidence sits, when a passage or citation covers it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eval.dataset import Evidence
from eval.errors import GoldDataError

# doc_id -> the document's text; every offset in the eval points into these strings.
DocumentTexts = Mapping[str, str]


@dataclass(frozen=True)
class Span:
    doc_id: str
    start: int  # [start, end) in the document's text
    end: int

    def overlap(self, other: Span) -> int:
        """Characters shared with `other`; 0 when they sit in different documents."""
        if self.doc_id != other.doc_id:
            return 0
        return max(0, min(self.end, other.end) - max(self.start, other.start))

    def covers(self, gold: Span) -> bool:
        """True when this span shares at least half of `gold`'s characters with it.

        The rule that makes a retrieved passage (or a cited span) count for a gold quote.
        """
        return 2 * self.overlap(gold) >= gold.end - gold.start > 0


def locate_evidence(evidence: Evidence, texts: DocumentTexts) -> Span:
    """The span of a gold quote: its first occurrence in its document's text."""
    text = texts.get(evidence.doc_id)
    if text is None:
        raise GoldDataError(
            f"evidence names document {evidence.doc_id!r}, which is not in the corpus: "
            "fix the eval set or evaluate against the corpus it was written for (--corpus)"
        )
    start = text.find(evidence.quote)
    if start < 0 or not evidence.quote:
        raise GoldDataError(
            f"evidence quote {evidence.quote[:60]!r}... is not a substring of {evidence.doc_id}: "
            "copy the quote verbatim from the document text"
        )
    return Span(evidence.doc_id, start, start + len(evidence.quote))
