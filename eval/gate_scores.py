"""Gold items -> the service's own evidence gate, in process -> a `GateScore` per question: what
the abstention sweep (eval/sweep.py) reads.

For each item the `AnswerContext` is built as `/ask` builds it (`QAService.answer_context`), the
gate's `decide(context).score` is recorded (higher is more answerable), and the answer is drafted
and grounded whatever the gate says, so that the answer hit at any threshold is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eval.dataset import EvalItem
from eval.metrics.answer import answer_hit
from eval.runner import request_for
from eval.sweep import GateScore
from qa_service.answering import ground
from qa_service.pipeline import QAService


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
        answer = ground(roles.answerer.draft(context), service.index.documents, roles.judge)
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
