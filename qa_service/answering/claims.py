"""Question + candidate answer -> a declarative claim (QA2D) that the support judge can check.

The evidence gate turns a question into the statement its answer would make ("Who won the 2025
elections?" with "the Sadrist movement" -> "the Sadrist movement won the 2025 elections") and
asks the support judge whether a sentence of the passages says it: a near miss's claim is
supported by none, since the fact asked for is absent or said of something else.

The rules are English question grammar, not any corpus's: a wh-phrase (with a preposition
before it, "In which year") fronted before an auxiliary is the inverted clause's object or
complement, so the auxiliary goes ("did" is do-support; "is" stays before its complement) and
the answer takes the wh-phrase's place at the end; a wh-phrase not followed by an auxiliary, or
followed by one and then a participle or "be" ("What was implicated by ...", "What can be
viewed as ..."), is the subject, and the answer takes its place in situ; a wh-word inside the
sentence ("... converts into what?") is replaced where it stands; a yes/no question drops its
fronted auxiliary. Without an answer the claim keeps the wh-phrase's content words in the
answer's place and states the rest.
"""

from __future__ import annotations

import re

__all__ = ["question_claim"]

_DO = frozenset({"do", "does", "did"})
_BE = frozenset({"is", "are", "was", "were", "am"})
_OTHER_AUXILIARIES = frozenset(
    "has have had can could will would shall should may might must".split()  # noqa: SIM905
)
AUXILIARIES = _DO | _BE | _OTHER_AUXILIARIES
_WH = frozenset({"who", "whom", "whose", "what", "which", "when", "where", "why", "how"})
# Wh-words that name the thing asked for (a complement of "is"), not a circumstance.
_NOMINAL_WH = frozenset({"who", "whom", "whose", "what", "which"})
_PREPOSITIONS = frozenset(
    (  # noqa: SIM905
        "in on at by from to for of with under into during since until after before through "
        "about against between over within"
    ).split()
)
_CONJUNCTIONS = frozenset({"and", "but", "so", "or"})
# A fronted wh-phrase is this many words at most before its auxiliary ("what kind of
# constraint does ..."); an auxiliary farther on belongs to a subject wh-phrase's clause.
_WH_PHRASE_WORDS = 5
# After the auxiliary, these mean the wh-phrase was the subject: "what can be viewed", "what
# has been shown", "what is being done".
_VERB_FORMS = frozenset({"be", "been", "being", "not", "never"})
_PARTICIPLE = re.compile(r"(?:ed|en)$")
_NEGATED_AUXILIARY = re.compile(r"^(\w+?)n['’]t$", re.IGNORECASE)
_CONTRACTIONS = {"ca": "can", "wo": "will", "sha": "shall"}  # "can't", "won't", "shan't"
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[\"“(]?[A-Z])")
# Adverbs between an auxiliary and its verb ("were still deployed", "is usually set").
_ADVERBS = frozenset({"still", "also", "already", "often", "usually", "always", "only", "just",
                      "ever", "first", "now", "then", "really", "actually"})  # fmt: skip
_EDGE_PUNCTUATION = re.compile(r"^[\"“(']+|[\"”)'.,;:!?]+$")


def _bare(word: str) -> str:
    """The word in lower case without the punctuation around it."""
    return _EDGE_PUNCTUATION.sub("", word).lower()


def question_claim(question: str, answer: str | None = None) -> str:
    """The statement `question` asks about, with `answer` in the slot of its wh-phrase (or the
    wh-phrase's content words, without one). A question that is no question (a bare name, an
    imperative) is its own claim."""
    # Of several sentences ("Who did he meet? Where did he go?"), the last question is asked.
    sentences = [s for s in _SENTENCE_END.split(question.strip()) if s]
    asked = [s for s in sentences if s.endswith("?")] or sentences or [""]
    text = asked[-1].rstrip("?!.").strip()
    # A leading phrase before the question proper ("In the Dhofar War, whom did ...", "If my
    # program only links to the Work, is it ...") stays in front of the claim.
    prefix, words = _split_lead(text.split())
    if not words:
        return text
    words = _expand_negation(words)
    claim = _claim_words(words, answer)
    return " ".join([*prefix, *claim]).strip()


def _split_lead(words: list[str]) -> tuple[list[str], list[str]]:
    """(leading phrase, question) around the first comma followed by a wh-word or auxiliary."""
    for i, word in enumerate(words[:-1]):
        if word.endswith(",") and _opens_question(words[i + 1 :]):
            return words[: i + 1], words[i + 1 :]
    return [], words


def _opens_question(words: list[str]) -> bool:
    first = _bare(words[0])
    if first in _CONJUNCTIONS and len(words) > 1:
        first = _bare(words[1])
    if first in _PREPOSITIONS and len(words) > 1:
        first = _bare(words[1])
    return first in _WH or first in AUXILIARIES or _NEGATED_AUXILIARY.match(first) is not None


def _expand_negation(words: list[str]) -> list[str]:
    """ "didn't" -> "did", "not": the auxiliary moves, the negation stays with the claim."""
    expanded = []
    for word in words:
        if _bare(word) == "cannot":
            expanded += ["can", "not"]
            continue
        match = _NEGATED_AUXILIARY.match(_bare(word))
        if match and _CONTRACTIONS.get(match.group(1), match.group(1)) in AUXILIARIES:
            expanded += [_CONTRACTIONS.get(match.group(1), match.group(1)), "not"]
        else:
            expanded.append(word)
    return expanded


def _claim_words(words: list[str], answer: str | None) -> list[str]:
    if _bare(words[0]) in _CONJUNCTIONS and len(words) > 1:
        words = words[1:]
    lowered = [_bare(w) for w in words]
    start = 1 if lowered[0] in _PREPOSITIONS and len(words) > 1 else 0
    if lowered[start] in _WH:
        return _wh_claim(words, lowered, start, answer)
    if lowered[0] in AUXILIARIES:  # yes/no: "Is the index stale" -> "the index stale"
        return words[1:]
    inside = [i for i, w in enumerate(lowered) if w in _NOMINAL_WH]
    if inside:  # "Reduction converts one problem into what" / "... of which country"
        i = inside[-1]
        slot = [answer] if answer else []
        return [*words[:i], *slot, *words[i + 1 :]]
    return words  # a bare name or an imperative states itself


def _wh_claim(words: list[str], lowered: list[str], start: int, answer: str | None) -> list[str]:
    wh = lowered[start]
    auxiliary = next(
        (
            i
            for i in range(start + 1, min(len(words), start + 1 + _WH_PHRASE_WORDS))
            if lowered[i] in AUXILIARIES
        ),
        None,
    )
    counted = wh == "how" and lowered[start + 1 : start + 2] in (["many"], ["much"])
    if auxiliary is not None:
        phrase = words[:auxiliary]
    else:  # the subject: "Who won ...", "How many Kurds live ..." (the noun stays in place)
        phrase = words[: start + 2] if counted else words[: start + 1]
    slot = _slot(phrase, [_bare(w) for w in phrase], start, answer)
    # Only a wh-phrase that names a thing can be the subject; "why", "when", "where" and "how"
    # alone never are ("Why did not Iraq join").
    nominal = wh in _NOMINAL_WH or counted
    if auxiliary is None or (nominal and _subject_follows(lowered, auxiliary)):
        # The wh-phrase is the subject: the answer stands where it stood.
        return [*slot, *words[len(phrase) :]]
    verb = lowered[auxiliary]
    rest = words[auxiliary + 1 :]
    negation: list[str] = []
    if rest and _bare(rest[0]) == "not":  # "didn't" expanded: the negation stays in the claim
        negation, rest = ["not"], rest[1:]
    kept = [words[auxiliary]] if verb in _BE and wh in _NOMINAL_WH | {"how"} and not start else []
    if verb in _BE and wh == "how" and len(phrase) == start + 1:  # "How is X defined": manner
        kept = []
    preposition = (
        [lowered[0]] if start and not (answer or "").lower().startswith(lowered[0]) else []
    )
    tail = [*kept, *preposition, *slot]
    return [*negation, *rest, *tail]


def _subject_follows(lowered: list[str], auxiliary: int) -> bool:
    """Whether the words after the auxiliary go on as a verb phrase ("can be viewed", "was
    implicated by"): then the wh-phrase before it is the subject, not a fronted object."""
    after = [w for w in lowered[auxiliary + 1 :] if w not in _ADVERBS and not w.endswith("ly")]
    if not after:
        return False  # "What is it": the wh-word is the complement
    following = after[0]
    if following in _VERB_FORMS:
        return True
    return lowered[auxiliary] in _BE and bool(_PARTICIPLE.search(following)) and len(following) > 3


def _slot(phrase: list[str], lowered: list[str], start: int, answer: str | None) -> list[str]:
    """What takes the wh-phrase's place: the answer (with the noun counted, for "how many"), or
    without one the wh-phrase's own content words."""
    wh_at = start
    content = [
        w
        for w, low in zip(phrase[wh_at + 1 :], lowered[wh_at + 1 :], strict=True)
        if low not in _WH
    ]
    counted = (
        lowered[wh_at] == "how"
        and bool(lowered[wh_at + 1 :])
        and (lowered[wh_at + 1] in {"many", "much"})
    )
    if counted:
        content = content[1:]  # "how many Kurds" -> "Kurds"
    if answer is None:
        return content
    if counted:
        return [answer, *content]
    return [answer]
