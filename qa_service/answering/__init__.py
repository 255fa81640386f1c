"""Hits -> grounded answer, in three roles: gate (answer or abstain), answerer, support judge.

`build_roles` picks the implementation of each role from the settings; `ground` turns a draft
into the answer that leaves the service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from indexer.artifact import EmbeddingInfo
from indexer.embedding import Vectors
from qa_service.answering.calibration import GateSetup, gate_setup, load_table
from qa_service.answering.coverage import Coverage, TokenEncoder
from qa_service.answering.evidence import ScoringParams, SentenceScorer
from qa_service.answering.extractive import AnswerParams, ExtractiveAnswerer
from qa_service.answering.gate import PresuppositionGate
from qa_service.answering.generative import (
    GenerationParams,
    GenerativeAnswerer,
    ModelEndpointError,
    ModelRateLimitedError,
)
from qa_service.answering.grounding import (
    ABSTENTION,
    Answer,
    Grounded,
    Grounder,
    abstain,
    ground,
    with_markers,
)
from qa_service.answering.judging import ChecksJudge, LexicalJudge, ModelJudge
from qa_service.answering.roles import (
    AnswerContext,
    Answerer,
    Claim,
    Draft,
    EvidenceGate,
    GateDecision,
    Question,
    Source,
    StreamingAnswerer,
    SupportJudge,
    Verdict,
)
from qa_service.answering.shortanswer import Span, short_answer
from qa_service.answering.support_model import SupportModelError
from qa_service.settings import Settings

logger = logging.getLogger(__name__)

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
    "Grounded",
    "Grounder",
    "ModelEndpointError",
    "ModelRateLimitedError",
    "Question",
    "Roles",
    "Source",
    "Span",
    "StreamingAnswerer",
    "SupportJudge",
    "Verdict",
    "abstain",
    "build_judge",
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
    fallback: Answerer | None = None  # answers when the answerer's model endpoint fails


def build_roles(
    embedding: EmbeddingInfo, settings: Settings, embed: Callable[[str], Vectors]
) -> Roles:
    """The gate, answerer and judge that the settings name, for an index embedded as
    `embedding` (the gate is calibrated per model); `embed` is the query-side embedding the
    generative answerer places its claims with."""
    scorer = SentenceScorer(ScoringParams.from_settings(settings))
    setup = gate_setup(
        embedding.files_sha256, embedding.name, settings.gate_threshold, load_table()
    )
    coverage = token_coverage(settings)  # one token encoder for the gate and the judge
    gate = PresuppositionGate(scorer, setup.model, settings.answer_typed_focus, coverage)
    extractive = ExtractiveAnswerer(scorer, AnswerParams.from_settings(settings))
    judge = build_judge(settings, coverage)
    if settings.answerer == "extractive":
        return Roles(gate, extractive, judge, setup)
    generative = GenerativeAnswerer(
        embed,
        GenerationParams.from_settings(settings),
        settings.llm_api_key.get_secret_value(),
    )
    return Roles(gate, generative, judge, setup, extractive if settings.llm_fallback else None)


def token_coverage(settings: Settings) -> Coverage | None:
    """The token encoder that the gate reads question words with and the checks judge reads
    claims with; None, with a warning, where it cannot be exported (no PyTorch and nothing
    cached): the gate then reads stems, and the checks judge fails to load, saying why."""
    try:
        return Coverage(TokenEncoder(settings.encoder_cache_dir))
    except SupportModelError as error:
        logger.warning("the evidence gate reads stems only: %s", error)
        return None


def build_judge(settings: Settings, coverage: Coverage | None = None) -> SupportJudge:
    """The support judge the settings name (the model loads here, once); the checks judge
    reads claims with `coverage` when given (the gate's), else with a token encoder of its own."""
    if settings.support_judge == "lexical":
        return LexicalJudge(settings.support_threshold)
    if settings.support_judge == "model":
        return ModelJudge()
    return ChecksJudge(coverage or Coverage(TokenEncoder(settings.encoder_cache_dir)))
