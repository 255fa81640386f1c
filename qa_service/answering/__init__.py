"""Hits -> grounded answer, in three roles: gate (answer or abstain), answerer, support judge.

`build_roles` picks the implementation of each role from the settings; `ground` turns a draft
into the answer that leaves the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.artifact import CorpusIndex
from qa_service.answering.calibration import GateSetup, gate_setup, load_table
from qa_service.answering.evidence import ScoringParams, SentenceScorer
from qa_service.answering.extractive import AnswerParams, ExtractiveAnswerer
from qa_service.answering.gate import PresuppositionGate
from qa_service.answering.grounding import ABSTENTION, Answer, abstain, ground, with_markers
from qa_service.answering.judging import LexicalJudge
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
from qa_service.answering.shortanswer import Span, short_answer
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
    "GateSetup",
    "Question",
    "Roles",
    "Source",
    "Span",
    "SupportJudge",
    "Verdict",
    "abstain",
    "build_roles",
    "ground",
    "short_answer",
    "with_markers",
]


@dataclass(frozen=True)
class Roles:
    gate: EvidenceGate
    answerer: Answerer
    judge: SupportJudge
    gate_setup: GateSetup  # how the gate was calibrated, for the start-up log and /readyz


def build_roles(index: CorpusIndex, settings: Settings) -> Roles:
    """The gate, answerer and judge that the settings name, over a loaded index."""
    scorer = SentenceScorer(index, ScoringParams.from_settings(settings))
    embedding = index.manifest.embedding
    setup = gate_setup(
        embedding.files_sha256, embedding.name, settings.gate_threshold, load_table()
    )
    return Roles(
        gate=PresuppositionGate(index, scorer, setup.model, settings.answer_typed_focus),
        answerer=ExtractiveAnswerer(index, scorer, AnswerParams.from_settings(settings)),
        judge=LexicalJudge(settings.support_threshold),
        gate_setup=setup,
    )
