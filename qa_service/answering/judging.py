"""(claim, quote) -> verdict: the support judges that grounding can use.

`ChecksJudge`, the default: a claim that is a piece of its quote is supported as it stands;
otherwise plain checks (`contradictions`: numbers, units, months, names, negation, opposites,
swapped roles) reject what they can explain with a reason; a word or two put in the place of
others between the same words is a change unless MiniLM reads them as near-synonyms
(`Coverage.changed`: "the quote says “integer”, not “polynomial”"); a word the quote has no
counterpart for, wedged into a phrase the quote has whole, is added content even alone
(`contradictions.inserted`: "the quote says “96 steps”, not “96 steep steps”"); and what is
left must not say things the quote does not: a claim with `ADDED_WORDS` content words that have
no counterpart in the quote (`coverage`: the same stem or name, or a word the bundled MiniLM
places close in context) is refused, as is a short claim most of whose words have none. One such
word elsewhere is tolerated: a paraphrase rewords as often as it adds.

`ModelJudge` puts the fine-tuned cross-encoder (`support_model`) in place of that coverage test,
for swapped roles, added content and paraphrase; trained as `training/` does today it scores no
better than chance on the benchmark's undecided pairs (`rag-eval support`), so it is not the
default until a better one is trained.

`LexicalJudge` is the word-overlap check of the first release: the share of the claim's content
terms found in the quote, and no support at all when the claim carries a number the quote does
not. It cannot see negation, swapped roles or a changed name; it stays as the cheap baseline
that the support benchmark compares against.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from indexer.analysis import DEFAULT_ANALYZER, terms
from indexer.settings import IndexSettings
from qa_service.answering.contradictions import first_mismatch, inserted, is_verbatim
from qa_service.answering.coverage import Coverage, TokenEncoder
from qa_service.answering.roles import Verdict
from qa_service.answering.support_model import MODEL_DIR, CrossEncoder

ENCODER_CACHE: Path = IndexSettings.model_fields["encoder_cache_dir"].default
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def overlap_support(claim: str, quote: str) -> float:
    claim_terms = set(terms(claim))
    if not claim_terms:
        return 0.0
    if not set(DEFAULT_ANALYZER.numerals(claim)) <= set(DEFAULT_ANALYZER.numerals(quote)):
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


# How many of a claim's content words may lack a counterpart in its quote before the claim is
# refused for saying more than the quote: one is tolerated (rewording), two are content added.
# On the support benchmark (`rag-eval support`), refusing at two keeps 93% of faithful claims and
# refuses 72% of added content; refusing at one word would keep 71% and refuse 91%.
ADDED_WORDS = 2
# A claim with fewer than ADDED_WORDS content words is refused when this share lacks one.
ADDED_SHARE = 0.5


class ChecksJudge:
    def __init__(self, coverage: Coverage | None = None) -> None:
        """`coverage`: the token encoder's reading, shared with the evidence gate; by default
        one of its own, exported under var/encoders."""
        self._coverage = coverage or Coverage(TokenEncoder(ENCODER_CACHE))

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        return [
            plain_verdict(claim, quote) or self._changed(claim, quote) or self._added(claim, quote)
            for claim, quote in pairs
        ]

    def _changed(self, claim: str, quote: str) -> Verdict | None:
        reason = self._coverage.changed(claim, quote)
        return None if reason is None else Verdict(False, 0.0, reason)

    def _added(self, claim: str, quote: str) -> Verdict:
        found = self._coverage.unsaid_at(claim, quote)
        wedged = inserted(claim, quote, {offset for _, offset in found}) if found else None
        if wedged is not None:
            return Verdict(False, 0.0, f"the quote says “{wedged[0]}”, not “{wedged[1]}”")
        unsaid = list(dict.fromkeys(word for word, _ in found))
        content = max(1, len(set(terms(claim))))
        score = max(0.0, 1 - len(unsaid) / content)
        if len(unsaid) < ADDED_WORDS and len(unsaid) / content < ADDED_SHARE:
            return Verdict(True, score)
        return Verdict(False, score, f"the quote does not mention {', '.join(unsaid[:4])}")


def plain_verdict(claim: str, quote: str) -> Verdict | None:
    """The verdict without a model: a verbatim claim passes, a plain contradiction fails."""
    if is_verbatim(claim, quote):
        return Verdict(True, 1.0)
    reason = first_mismatch(claim, quote)
    return None if reason is None else Verdict(False, 0.0, reason)


class ModelJudge:
    """Verbatim claims pass, plain contradictions fail with a reason, the model reads the rest."""

    def __init__(self, folder: Path = MODEL_DIR) -> None:
        self._model = CrossEncoder(folder)

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        verdicts: list[Verdict | None] = []
        unsure: list[int] = []
        for claim, quote in pairs:
            verdicts.append(plain_verdict(claim, quote))
            if verdicts[-1] is None:
                unsure.append(len(verdicts) - 1)
        scores = self._model.probabilities([pairs[i] for i in unsure])
        threshold = self._model.threshold
        for i, score in zip(unsure, scores, strict=True):
            supported = score >= threshold
            verdicts[i] = Verdict(supported, score, None if supported else _unsupported(*pairs[i]))
        return [v for v in verdicts if v is not None]


def _unsupported(claim: str, quote: str) -> str:
    """What to tell the user when the model, not a plain check, rejected the claim."""
    quoted = set(terms(quote))
    missing = [w for w in dict.fromkeys(_WORD.findall(claim)) if set(terms(w)) - quoted]
    if missing:
        return f"the quote does not say what the claim says with “{' '.join(missing[:4])}”"
    return "the quote does not say this: its words are there, but not in this relation"
