"""Gold items -> the service's own evidence gate, in process -> a `GateScore` per question: what
the abstention sweep (eval/sweep.py) reads.

For each item the `AnswerContext` is built as `/ask` builds it (`QAService.answer_context`), the
gate's `decide(context).score` is recorded (higher is more answerable), and the answer is drafted
and grounded whatever the gate says, so that the answer hit at any threshold is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from corpus import CorpusError
from eval.dataset import EvalItem
from eval.errors import ServiceError
from eval.indexes import ensure_index
from eval.metrics.answer import answer_hit
from eval.runner import request_for
from eval.sweep import GateScore
from indexer.artifact import IndexLoadError
from indexer.embedding import Embedder, ModelError
from qa_service.answering import ground
from qa_service.pipeline import QAService
from qa_service.settings import Settings


def start_service(settings: Settings, embedder: Embedder | None = None) -> QAService:
    """The service in process over settings.index_dir, built first when missing or stale; pass
    an `embedder` already loaded with settings.embedding_model to share it."""
    ensure_index(settings)
    try:
        return QAService(settings, embedder)
    except (CorpusError, IndexLoadError, ModelError) as error:
        raise ServiceError(f"the service cannot start on {settings.corpus_dir}: {error}") from error


def collect_scores(
    service: QAService,
    items: Sequence[EvalItem],
    on_score: Callable[[GateScore], None] = lambda _: None,
) -> list[GateScore]:
    """The gate's score and the gate-free answer hit of every item, asked in process."""
    roles = service.roles
    scores: list[GateScore] = []
    for item in items:
        context, _ = service.answer_context(request_for(item))
        decision = roles.gate.decide(context)
        answer = ground(roles.answerer.draft(context), context.corpus.documents, roles.judge)
        hit = (
            item.answerable
            and not answer.abstained
            and answer_hit(answer.text, (item.answer, *item.aliases), item.answer_items)
        )
        score = GateScore(
            id=item.id,
            answerable=item.answerable,
            score=decision.score,
            gate_answers=decision.answerable,
            hit=hit,
        )
        on_score(score)
        scores.append(score)
    return scores
