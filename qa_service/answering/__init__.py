"""Hits -> grounded answer, in three roles: gate (answer or abstain), answerer, support judge.

`build_roles` picks the implementation of each role from the settings; `ground` turns a draft
into the answer that leaves the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.artifact import CorpusIndex
from qa_service.answering.evidence import ScoringParams, SentenceScorer
from qa_service.answering.extractive import AnswerParams, ExtractiveAnswerer
from qa_service.answering.gate import GateParams, ScoreGate
from qa_service.answering.grounding import ABSTENTION, Answer, abstain, ground, with_markers
from qa_service.answering.judging import LexicalJudge, ModelJudge
from qa_service.answering.roles import (
    AnswerContext,
    Answerer,
    Claim,
    Draft,
    EvidenceGate,
    GateDecision,
    Question,
    Source,
    SupportJudge,
    Verdict,
)
from qa_service.settings import Settings

__all__ = [
    "ABSTENTION",
    "Answer",
    "AnswerContext",
    "Answerer",
    "Claim",
    "Draft",
    "EvidenceGate",
    "GateDecision",
    "Question",
    "Roles",
    "Source",
    "SupportJudge",
    "Verdict",
    "abstain",
    "build_judge",
    "build_roles",
    "ground",
    "with_markers",
]


@dataclass(frozen=True)
class Roles:
    gate: EvidenceGate
    answerer: Answerer
    judge: SupportJudge


def build_roles(index: CorpusIndex, settings: Settings) -> Roles:
    """The gate, answerer and judge that the settings name, over a loaded index."""
    scorer = SentenceScorer(index, ScoringParams.from_settings(settings))
    return Roles(
        gate=ScoreGate(scorer, GateParams.from_settings(settings)),
        answerer=ExtractiveAnswerer(index, scorer, AnswerParams.from_settings(settings)),
        judge=build_judge(settings),
    )


def build_judge(settings: Settings) -> SupportJudge:
    """The support judge the settings name (the model loads here, once)."""
    if settings.support_judge == "lexical":
        return LexicalJudge(settings.support_threshold)
    return ModelJudge()
