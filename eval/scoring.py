"""(eval item, service response, corpus texts, support scorer) -> every metric and check of it.

The pure core of the runner: no I/O, no clock, so a test can score any response it writes.
"""

from __future__ import annotations

from pydantic import BaseModel

from eval.dataset import EvalItem
from eval.metrics.answer import score_answer, score_short_answer
from eval.metrics.citations import (
    cited_text,
    gold_coverage,
    gold_overlap,
    precise_markers,
    short_answer_problems,
    validity_problems,
)
from eval.metrics.faithfulness import ground, score_faithfulness
from eval.metrics.retrieval import score_retrieval
from eval.metrics.spans import DocumentTexts, Span, locate_evidence
from eval.metrics.support import SupportJudgement, SupportScorer
from eval.metrics.text import split_sentences
from qa_service.schemas import AskResponse

# The pass/fail checks of one question, each present only where it applies.
CHECKS = (
    "abstention",  # abstained exactly when the question is unanswerable
    "retrieval",  # every gold quote covered within the top 10 passages
    "answer",  # answer hit
    "faithfulness",  # every sentence supported by the spans the answer cites
    "citations_valid",  # no validity problem
    "citations_supported",  # every sentence cited and supported by its own citations
)


class SentenceScore(BaseModel, frozen=True):
    text: str  # as written, with its markers
    markers: tuple[int, ...]
    support: SupportJudgement  # by its own citations: citation recall, the support histogram
    grounding: SupportJudgement  # by every span the answer cites: faithfulness
    precise: tuple[int, ...]  # the markers whose citation is relevant to it (ALCE precision)


class ItemScore(BaseModel, frozen=True):
    metrics: dict[str, float]  # catalogue name -> value, for the metrics that apply
    checks: dict[str, bool]  # CHECKS name -> passed, for the checks that apply
    sentences: tuple[SentenceScore, ...] = ()
    problems: tuple[str, ...] = ()  # citation validity problems

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


def score_item(
    item: EvalItem, response: AskResponse, texts: DocumentTexts, scorer: SupportScorer
) -> ItemScore:
    """Every metric of one question; see eval/README.md for which apply when."""
    metrics: dict[str, float] = {}
    checks = {"abstention": response.abstained != item.answerable}
    gold = (
        [locate_evidence(evidence, texts) for evidence in item.evidence] if item.answerable else []
    )
    if item.answerable:
        passages = sorted(response.passages, key=lambda passage: passage.rank)
        retrieval = score_retrieval([Span(p.doc_id, p.start, p.end) for p in passages], gold)
        metrics |= {f"retrieval.recall@{k}": v for k, v in retrieval.recall_at.items()}
        metrics |= {"retrieval.mrr": retrieval.reciprocal_rank}
        metrics |= {"retrieval.ndcg@10": retrieval.ndcg_at_10}
        checks["retrieval"] = retrieval.recall_at[10] == 1.0
        if response.abstained:
            metrics |= {"answer.hit": 0.0, "answer.f1": 0.0}
        else:
            answer = score_answer(response.answer, (item.answer, *item.aliases), item.answer_items)
            metrics |= {"answer.hit": float(answer.hit), "answer.f1": answer.token_f1}
        checks["answer"] = metrics["answer.hit"] == 1.0
        short = (
            None if response.abstained or response.short_answer is None else response.short_answer
        )
        short_scores = score_short_answer(
            short.text if short else None, (item.answer, *item.aliases)
        )
        metrics["short_answer.exact"] = float(short_scores.hit)
        metrics["short_answer.f1"] = short_scores.token_f1
    sentences = [] if response.abstained else split_sentences(response.answer)
    drafted = len(sentences) + response.dropped_claims
    if drafted:
        metrics["grounding.dropped_rate"] = response.dropped_claims / drafted
    if response.abstained and not response.citations:
        return ItemScore(metrics=metrics, checks=checks)

    problems = validity_problems(
        response.answer, sentences, response.citations, texts, abstained=response.abstained
    )
    problems += short_answer_problems(response.short_answer, response.citations, texts)
    metrics["citations.validity"] = float(not problems)
    checks["citations_valid"] = not problems
    if response.abstained:
        return ItemScore(metrics=metrics, checks=checks, problems=tuple(problems))

    by_marker = {citation.marker: cited_text(citation, texts) for citation in response.citations}
    every_cited = list(dict.fromkeys(text for text in by_marker.values() if text))
    scored: list[SentenceScore] = []
    for sentence, grounding in zip(sentences, ground(sentences, every_cited, scorer), strict=True):
        quotes = {marker: by_marker[marker] for marker in sentence.markers if marker in by_marker}
        support = scorer.judge(sentence.plain, list(quotes.values()))
        scored.append(
            SentenceScore(
                text=sentence.text,
                markers=sentence.markers,
                support=support,
                grounding=grounding,
                precise=precise_markers(sentence.plain, quotes, support, scorer),
            )
        )
    faithfulness = score_faithfulness([sentence.grounding for sentence in scored])
    metrics["faithfulness.sentence_support"] = faithfulness.sentence_support
    metrics["faithfulness.fully_supported"] = float(faithfulness.fully_supported)
    checks["faithfulness"] = faithfulness.fully_supported

    cited_recall = sum(1 for s in scored if s.support.supported) / len(scored) if scored else 0.0
    metrics["citations.recall"] = cited_recall
    checks["citations_supported"] = cited_recall == 1.0
    pairs = sum(len(sentence.markers) for sentence in scored)
    if pairs:
        metrics["citations.precision"] = sum(len(s.precise) for s in scored) / pairs
    if item.answerable and response.citations:
        cited = [Span(c.doc_id, c.start, c.end) for c in response.citations]
        metrics["citations.gold_coverage"] = gold_coverage(cited, gold)
        metrics["citations.gold_overlap"] = gold_overlap(cited, gold)
    return ItemScore(
        metrics=metrics, checks=checks, sentences=tuple(scored), problems=tuple(problems)
    )
