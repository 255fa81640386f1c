"""Scored sentences -> answer or abstain: is the answer in these passages at all?

`ScoreGate` reads the best sentence evidence (`SentenceScorer`): it abstains when that is below
a threshold, or when a question that asks for a kind of answer (a quantity, a date) finds it in
none of its best sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_service.answering.evidence import SentenceScorer
from qa_service.answering.roles import AnswerContext, GateDecision
from qa_service.settings import Settings

NO_PASSAGE = "no passage of the documents matches the question"
WEAK_EVIDENCE = "the closest passages do not say what the question asks"


@dataclass(frozen=True)
class GateParams:
    abstain_below: float
    typed_focus: float  # the answer type must be in a sentence scoring this share of the best

    @classmethod
    def from_settings(cls, settings: Settings) -> GateParams:
        return cls(settings.abstain_below, settings.answer_typed_focus)


class ScoreGate:
    def __init__(self, scorer: SentenceScorer, params: GateParams) -> None:
        self._scorer = scorer
        self._params = params

    def decide(self, context: AnswerContext) -> GateDecision:
        candidates = self._scorer.candidates(context.query, context.hits)
        if not candidates:
            return GateDecision(False, 0.0, NO_PASSAGE)
        # Evidence is only as strong as the best sentence holding the kind of answer asked for:
        # "how many" answered by sentences without a quantity is no answer.
        best = max(c.relevance for c in candidates)
        evidence = max(
            (
                c.evidence
                for c in candidates
                if c.relevance >= best * self._params.typed_focus and c.typed
            ),
            default=0.0,
        )
        if evidence < self._params.abstain_below:
            return GateDecision(False, evidence, WEAK_EVIDENCE)
        return GateDecision(True, evidence)
