"""(claim, quote) -> verdict: the support judges that grounding can use.

`LexicalJudge` is the word-overlap check of the first release: the share of the claim's content
terms found in the quote, and no support at all when the claim carries a number the quote does
not. It cannot see negation, swapped roles or a changed name; it stays as the cheap baseline
that the support benchmark compares against.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.lexical import terms
from qa_service.answering.roles import Verdict

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def overlap_support(claim: str, quote: str) -> float:
    claim_terms = set(terms(claim))
    if not claim_terms:
        return 0.0
    numbers = {n.replace(",", "") for n in _NUMBER.findall(claim)}
    if not numbers <= {n.replace(",", "") for n in _NUMBER.findall(quote)}:
        return 0.0
    return len(claim_terms & set(terms(quote))) / len(claim_terms)


class LexicalJudge:
    def __init__(self, threshold: float) -> None:
        self._threshold = threshold

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        verdicts = []
        for claim, quote in pairs:
            score = overlap_support(claim, quote)
            supported = score >= self._threshold
            reason = None if supported else "the quote lacks words or numbers of the claim"
            verdicts.append(Verdict(supported, score, reason))
        return verdicts
