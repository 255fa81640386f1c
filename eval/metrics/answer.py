"""Answer text + gold answer -> answer hit and SQuAD token F1 for one answerable question; the
short answer's SQuAD exact match and token F1."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from eval.metrics.text import normalise_for_match, normalise_squad


class AnswerScores(BaseModel, frozen=True):
    hit: bool
    token_f1: float


def contains(answer: str, gold: str) -> bool:
    """`gold` appears in `answer` as whole words, ignoring case, white space and markers."""
    needle = normalise_for_match(gold)
    if not needle:
        return False
    # Word boundaries only where the gold itself starts or ends with a word character, so that
    # "1945" does not match inside "19450" while "U.S." still matches "U.S.".
    before = r"(?<!\w)" if needle[0].isalnum() else ""
    after = r"(?!\w)" if needle[-1].isalnum() else ""
    return re.search(before + re.escape(needle) + after, normalise_for_match(answer)) is not None


def answer_hit(answer: str, golds: Sequence[str], items: Sequence[str]) -> bool:
    """True when one of `golds` (the answer, its aliases) appears, or when every list item does."""
    if items and all(contains(answer, item) for item in items):
        return True
    return any(contains(answer, gold) for gold in golds)


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two strings, after `normalise_squad`."""
    predicted = normalise_squad(prediction).split()
    expected = normalise_squad(gold).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(expected)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, gold: str) -> bool:
    """SQuAD exact match: equal after `normalise_squad`."""
    return normalise_squad(prediction) == normalise_squad(gold)


def score_short_answer(short: str | None, golds: Sequence[str]) -> AnswerScores:
    """The short answer against the gold answer and its aliases; None (no short answer) is wrong.

    `hit` is exact match here: the best over the golds, as SQuAD scores it.
    """
    if short is None:
        return AnswerScores(hit=False, token_f1=0.0)
    return AnswerScores(
        hit=any(exact_match(short, gold) for gold in golds),
        token_f1=max(token_f1(short, gold) for gold in golds),
    )


def score_answer(answer: str, golds: Sequence[str], items: Sequence[str]) -> AnswerScores:
    return AnswerScores(
        hit=answer_hit(answer, golds, items),
        token_f1=max(token_f1(answer, gold) for gold in golds),
    )
