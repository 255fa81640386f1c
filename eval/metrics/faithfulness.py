"""Answer sentences + every span the answer cites -> how much of the answer its sources ground.

Faithfulness asks whether what a sentence says is in the text the answer cites, whichever of its
citations holds it; whether each sentence points at the right citation is citation recall's job
(see citations.py). An answer with no sentence is not grounded.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from eval.metrics.support import SupportJudgement, SupportScorer
from eval.metrics.text import AnswerSentence


class FaithfulnessScores(BaseModel, frozen=True):
    sentence_support: float  # share of sentences supported
    fully_supported: bool  # every sentence supported (and there is at least one)


def ground(
    sentences: Sequence[AnswerSentence], cited: Sequence[str], scorer: SupportScorer
) -> list[SupportJudgement]:
    """Each sentence judged against the joined text of every span the answer cites."""
    return [scorer.judge(sentence.plain, cited) for sentence in sentences]


def score_faithfulness(judgements: Sequence[SupportJudgement]) -> FaithfulnessScores:
    supported = sum(1 for judgement in judgements if judgement.supported)
    return FaithfulnessScores(
        sentence_support=supported / len(judgements) if judgements else 0.0,
        fully_supported=bool(judgements) and supported == len(judgements),
    )
