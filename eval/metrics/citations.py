"""Answer + its citations + the corpus -> validity problems, ALCE citation recall and precision,
and overlap of the cited spans with the gold evidence, for one answer.

Support is always judged against the corpus text at a citation's offsets, never against the
`quote` string the service sends, so a fabricated quote supports nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics.spans import DocumentTexts, Span
from eval.metrics.support import SupportJudgement, SupportScorer
from eval.metrics.text import AnswerSentence, markers_in
from qa_service.schemas import Citation, ShortAnswer


def cited_text(citation: Citation, texts: DocumentTexts) -> str:
    """The corpus text at the citation's offsets; "" when the document or offsets do not exist."""
    text = texts.get(citation.doc_id, "")
    if not 0 <= citation.start < citation.end <= len(text):
        return ""
    return text[citation.start : citation.end]


def validity_problems(
    answer: str,
    sentences: Sequence[AnswerSentence],
    citations: Sequence[Citation],
    texts: DocumentTexts,
    *,
    abstained: bool,
) -> list[str]:
    """Every way the answer's citations break the API contract; [] when they are valid."""
    problems: list[str] = []
    for citation in citations:
        text = texts.get(citation.doc_id)
        if text is None:
            problems.append(f"[{citation.marker}] cites {citation.doc_id!r}, not in the corpus")
        elif not 0 <= citation.start < citation.end <= len(text):
            problems.append(
                f"[{citation.marker}] offsets [{citation.start}, {citation.end}) are not a "
                f"non-empty range of {citation.doc_id} ({len(text)} characters)"
            )
        elif text[citation.start : citation.end] != citation.quote:
            problems.append(
                f"[{citation.marker}] quote differs from {citation.doc_id}"
                f"[{citation.start}:{citation.end}]"
            )
    listed = [citation.marker for citation in citations]
    used = set(markers_in(answer))
    problems += [
        f"[{marker}] in the answer has no citation" for marker in sorted(used - set(listed))
    ]
    problems += [f"[{marker}] is never used in the answer" for marker in sorted(set(listed) - used)]
    if sorted(listed) != list(range(1, len(listed) + 1)):
        problems.append(f"citation markers {sorted(listed)} are not numbered 1..{len(listed)}")
    if not abstained:
        problems += [f"sentence without a marker: {s.plain!r}" for s in sentences if not s.markers]
    return problems


def short_answer_problems(
    short: ShortAnswer | None, citations: Sequence[Citation], texts: DocumentTexts
) -> list[str]:
    """How a short answer breaks the contract: its text is not the document's text at its
    offsets, or it lies outside every cited span; [] when it is valid or absent."""
    if short is None:
        return []
    text = texts.get(short.doc_id, "")
    if not 0 <= short.start < short.end <= len(text) or text[short.start : short.end] != short.text:
        return [
            f"short answer {short.text!r} differs from {short.doc_id}[{short.start}:{short.end}]"
        ]
    if not any(
        c.doc_id == short.doc_id and c.start <= short.start and short.end <= c.end
        for c in citations
    ):
        return [f"short answer {short.text!r} lies outside every cited span"]
    return []


def precise_markers(
    sentence: str,
    quotes: dict[int, str],
    joint: SupportJudgement,
    scorer: SupportScorer,
) -> tuple[int, ...]:
    """ALCE precision for one sentence: the markers whose citation is relevant to it.

    A citation is relevant when the sentence's citations jointly support it and the citation
    either supports it alone, or is needed (the other citations without it do not).
    """
    if not joint.supported:
        return ()
    if len(quotes) == 1:
        return tuple(quotes)
    relevant: list[int] = []
    for marker, quote in quotes.items():
        others = [text for other, text in quotes.items() if other != marker]
        alone = scorer.judge(sentence, [quote]).supported
        if alone or not scorer.judge(sentence, others).supported:
            relevant.append(marker)
    return tuple(relevant)


def gold_coverage(cited: Sequence[Span], gold: Sequence[Span]) -> float:
    """Share of gold evidence spans that some cited span covers (at least half of the quote)."""
    return sum(1 for span in gold if any(c.covers(span) for c in cited)) / len(gold)


def gold_overlap(cited: Sequence[Span], gold: Sequence[Span]) -> float:
    """Share of cited spans that share at least one character with some gold evidence span."""
    return sum(1 for c in cited if any(c.overlap(span) > 0 for span in gold)) / len(cited)
