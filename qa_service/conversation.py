"""Question + history -> the query to search: a follow-up borrows context from earlier turns.

No model is involved: a follow-up that names a new subject ("And with Turkey?", "What about
Kuwait?") takes the previous question with its subject swapped; one that points back ("When
did that happen?", "Why did they do it?") or says too little on its own is searched together
with the previous question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.analysis import DEFAULT_ANALYZER, terms
from qa_service.schemas import Turn

# "And with Turkey?", "what about Kuwait", "How about the UK?", "and in 1990?"
_SWAP = re.compile(
    r"^\s*(?:and|but|also|so)?\s*(?:what|how)\s+about\s+|^\s*(?:and|but|also)\s+", re.IGNORECASE
)
_POINTERS = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|that|this|those|these|there|then|"
    r"the same|the latter|the former|such)\b",
    re.IGNORECASE,
)
_SELF_CONTAINED_TERMS = 2  # a question with this many content terms and no pointer stands alone


def resolve_query(question: str, history: Sequence[Turn]) -> str:
    """The text to search for `question`, given the earlier turns (oldest first)."""
    question = " ".join(question.split())
    previous = [turn.content for turn in history if turn.role == "user"]
    if not previous:
        return question
    context = previous[0]
    for earlier in previous[1:]:  # earlier follow-ups are resolved the same way, in order
        context = _resolve(earlier, context)
    return _resolve(question, context)


def _resolve(question: str, context: str) -> str:
    swap = _SWAP.match(question)
    if swap:
        rest = question[swap.end() :]
        if DEFAULT_ANALYZER.names(" " + rest) or terms(rest):
            return f"{rest.rstrip('?. ')} {_without_names(context, keep=rest)}".strip()
    if _POINTERS.search(question) or len(terms(question)) < _SELF_CONTAINED_TERMS:
        return f"{context} {question}"
    return question


def _without_names(context: str, keep: str) -> str:
    """The earlier question with its names removed, except names the follow-up repeats."""
    kept = set(terms(keep))
    stripped = context
    for start, end in reversed(DEFAULT_ANALYZER.names(context)):  # a swap replaces names
        if not set(terms(context[start:end])) <= kept:
            stripped = stripped[:start] + stripped[end:]
    return re.sub(r"\s+([?.,!])", r"\1", " ".join(stripped.split()))
