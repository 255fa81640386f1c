"""Sentence -> claim variants: the faithful rewrites and the perturbations the judge learns from.

Every function takes a sentence (and a random generator, for the choices it makes) and returns a
rewritten claim, or None when the sentence offers nothing to rewrite that way. Faithful variants
say only what the sentence says (shortened, reordered, reworded, reformatted); perturbations say
something it does not (negated, another number, unit, name or month, roles swapped, content added).
The rules are about English, not about any one corpus.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from indexer.analysis import MONTHS
from qa_service.answering.contradictions import NUMBER_WORDS

Variant = Callable[[str, random.Random], str | None]

_NAME = re.compile(r"(?<=[a-z,;:(] )[A-Z][a-z]+(?:[ -](?:of |the |de |al-)?[A-Z][a-z]+)*")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\d,]*\d)|(?<![\w.,])\d+(?:\.\d+)?(?![\w])")
_AUXILIARY = re.compile(
    r"\b(is|are|was|were|has|have|had|can|could|will|would|should|may|might|must)\b(?! not\b)"
)
_PAST_VERB = re.compile(r"(?<=[a-z] )([a-z]{3,}ed)\b")
_NEGATION = re.compile(r"\s(?:not|never)\b|n't\b")
_PARENTHESIS = re.compile(r"\s+\([^()]*\)")
_APPOSITIVE = re.compile(r", (?:who|which|whose|where|a|an|the|then|now|also)\b[^,;()]{3,80},")
_TRAILING_CLAUSE = re.compile(
    r",\s*(?:which|who|where|while|whereas|although|though|but|and|including|making|leading|thus)\b[^;]*$"
)
_LEADING_PHRASE = re.compile(
    r"^((?:In|On|At|By|During|Since|After|Before|From|Until|Under) [^,]{2,40}), (.+)$"
)
_TRAILING_DATE = re.compile(r"^(.+?) ((?:in|on|since|by|until|during) (?:[A-Z][a-z]+ )?\d{4})\.$")
_PASSIVE = re.compile(
    r"^(?P<x>[A-Z][^,]{2,60}?) (?:was|were) (?P<v>[a-z]+ed) by (?P<y>[^,.;]{2,50}?)"
    r"(?P<rest>(?: (?:in|on|at|during|since|after|before|from|for|under)\b[^.;]*)?[,.;].*)$"
)
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")
UNIT_FAMILIES = (
    ("kilometers", "miles", "meters"),
    ("kilometres", "miles", "metres"),
    ("km", "miles", "m"),
    ("percent", "times", "points"),
    ("million", "billion", "thousand"),
    ("days", "weeks", "months", "years"),
    ("hours", "minutes", "days"),
    ("dollars", "euros", "pounds"),
    ("tons", "kilograms", "barrels"),
    ("seconds", "milliseconds", "minutes"),
    ("bytes", "kilobytes", "megabytes"),
    ("tokens", "characters", "words"),
)
_UNIT = re.compile(
    r"(?<=\d )("
    + "|".join(sorted({u for f in UNIT_FAMILIES for u in f}, key=len, reverse=True))
    + r")\b"
)
_NUMBER_WORDS = list(NUMBER_WORDS)[:11]  # two to twelve
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")
# Words that a faithful rewording may swap; both directions are faithful.
SYNONYMS = {
    "began": "started",
    "started": "began",
    "large": "big",
    "big": "large",
    "however": "but",
    "approximately": "about",
    "about": "around",
    "also": "as well",
    "several": "a number of",
    "many": "numerous",
    "important": "significant",
    "significant": "major",
    "major": "important",
    "country": "nation",
    "countries": "nations",
    "agreement": "accord",
    "president": "leader",
    "government": "administration",
    "help": "assist",
    "helped": "assisted",
    "said": "stated",
    "stated": "said",
    "announced": "declared",
    "received": "got",
    "showed": "demonstrated",
    "used": "employed",
    "uses": "employs",
    "use": "employ",
    "returns": "gives back",
    "shows": "displays",
    "needs": "requires",
    "requires": "needs",
    "whole": "entire",
    "fast": "quick",
    "quickly": "rapidly",
    "built": "constructed",
    "made": "created",
    "relations": "ties",
    "ties": "relations",
    "strengthen": "reinforce",
    "attempt": "try",
    "tried": "attempted",
    "because": "since",
    "main": "principal",
}
CONNECTORS = (", and ", "; ", ", while ")


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _changed(original: str, new: str) -> str | None:
    return new if new != original and len(new.split()) >= 4 else None


# --- faithful variants ----------------------------------------------------------------------


def drop_parenthesis(sentence: str, rng: random.Random) -> str | None:
    return _changed(sentence, _sentence(_PARENTHESIS.sub("", sentence)))


def drop_appositive(sentence: str, rng: random.Random) -> str | None:
    matches = list(_APPOSITIVE.finditer(sentence))
    if not matches:
        return None
    m = rng.choice(matches)
    return _changed(sentence, _sentence(sentence[: m.start()] + sentence[m.end() - 1 :]))


def drop_trailing_clause(sentence: str, rng: random.Random) -> str | None:
    m = _TRAILING_CLAUSE.search(sentence)
    if m is None or len(sentence[: m.start()].split()) < 5:
        return None
    return _changed(sentence, _sentence(sentence[: m.start()]))


def move_leading_phrase(sentence: str, rng: random.Random) -> str | None:
    m = _LEADING_PHRASE.match(sentence)
    if m is not None:
        phrase, rest = m.groups()
        return _changed(sentence, _sentence(f"{rest.rstrip('.')} {_lower_first(phrase)}"))
    m = _TRAILING_DATE.match(sentence)
    if m is not None and "," not in m.group(1):
        body, phrase = m.groups()
        return _changed(sentence, _sentence(f"{phrase}, {_lower_first(body)}"))
    return None


def passive_to_active(sentence: str, rng: random.Random) -> str | None:
    m = _PASSIVE.match(sentence)
    if m is None:
        return None
    x, v, y, rest = m.group("x", "v", "y", "rest")
    return _changed(sentence, _sentence(f"{y[0].upper()}{y[1:]} {v} {_lower_first(x)}{rest}"))


def substitute_synonyms(sentence: str, rng: random.Random) -> str | None:
    words = sentence.split(" ")
    spots = [i for i, w in enumerate(words) if w.lower() in SYNONYMS]
    if not spots:
        return None
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 2))):
        words[i] = SYNONYMS[words[i].lower()]
    return _changed(sentence, _sentence(" ".join(words)))


def reformat_numbers(sentence: str, rng: random.Random) -> str | None:
    new = re.sub(r"(\d),(\d{3})\b", r"\1\2", sentence)
    new = re.sub(r"(\d) ?(?:percent|per cent)\b", r"\1%", new)
    if new == sentence:
        new = re.sub(r"(\d)%", r"\1 percent", sentence)
    return _changed(sentence, new)


FAITHFUL: dict[str, Variant] = {
    "parenthesis_dropped": drop_parenthesis,
    "appositive_dropped": drop_appositive,
    "clause_dropped": drop_trailing_clause,
    "reordered": move_leading_phrase,
    "passive_active": passive_to_active,
    "synonyms": substitute_synonyms,
    "number_format": reformat_numbers,
}


def shortened(sentence: str, rng: random.Random) -> str:
    """The sentence with some optional parts dropped, or as it is when it has none."""
    for variant in rng.sample(
        [drop_parenthesis, drop_appositive, drop_trailing_clause], k=rng.randint(1, 3)
    ):
        sentence = variant(sentence, rng) or sentence
    return sentence


def merged(first: str, second: str, rng: random.Random) -> str:
    """Two adjacent sentences said as one: the claim a merge of two quotes makes."""
    a, b = shortened(first, rng).rstrip(".!?"), shortened(second, rng)
    return _sentence(a + rng.choice(CONNECTORS) + _lower_first(b))


# --- perturbations --------------------------------------------------------------------------


def toggle_negation(sentence: str, rng: random.Random) -> str | None:
    if _NEGATION.search(sentence):
        new = _NEGATION.sub("", sentence, count=1).replace("ca ", "can ").replace("wo ", "will ")
        return _changed(sentence, _sentence(new))
    auxiliaries = list(_AUXILIARY.finditer(sentence))
    verbs = list(_PAST_VERB.finditer(sentence))
    if auxiliaries and (not verbs or rng.random() < 0.7):
        m = rng.choice(auxiliaries)
        cue = rng.choice(["not", "not", "never", "no longer"])
        return _changed(sentence, sentence[: m.end()] + f" {cue}" + sentence[m.end() :])
    if not verbs:
        return None
    m = rng.choice(verbs)
    return _changed(sentence, sentence[: m.start()] + "never " + sentence[m.start() :])


def _other_number(number: str, rng: random.Random) -> str:
    value = float(number.replace(",", ""))
    if "." not in number and 1000 <= value <= 2100:  # a year
        return str(int(value) + rng.choice([-10, -5, -3, -2, -1, 1, 2, 3, 5, 10]))
    if "." in number:
        decimals = len(number.split(".")[1])
        new = value + rng.choice([-1, 1]) * max(10**-decimals, round(value * 0.3, decimals))
        return f"{new:.{decimals}f}"
    how = rng.randrange(4)
    if how == 0:
        new_value = int(value) + rng.randint(1, 9)
    elif how == 1:
        new_value = int(value) * rng.randint(2, 5)
    elif how == 2:
        new_value = max(0, int(value) - rng.randint(1, 9))
    else:
        new_value = int(value) * 10
    if new_value == value:
        new_value = int(value) + 1
    return f"{new_value:,}" if "," in number else str(new_value)


def change_number(sentence: str, rng: random.Random) -> str | None:
    numbers = list(_NUMBER.finditer(sentence))
    words = list(_NUMBER_WORD.finditer(sentence))
    if not numbers and not words:
        return None
    if numbers and (not words or rng.random() < 0.8):
        m = rng.choice(numbers)
        new = _other_number(m.group(), rng)
    else:
        m = rng.choice(words)
        new = rng.choice([w for w in _NUMBER_WORDS if w != m.group()])
    return _changed(sentence, sentence[: m.start()] + new + sentence[m.end() :])


def _replace_word(
    sentence: str, rng: random.Random, pattern: re.Pattern[str], others: Callable[[str], list[str]]
) -> str | None:
    found = list(pattern.finditer(sentence))
    if not found:
        return None
    m = rng.choice(found)
    new = rng.choice(others(m.group()))
    return _changed(sentence, sentence[: m.start()] + new + sentence[m.end() :])


def change_unit(sentence: str, rng: random.Random) -> str | None:
    def others(unit: str) -> list[str]:
        return [u for u in next(f for f in UNIT_FAMILIES if unit in f) if u != unit]

    return _replace_word(sentence, rng, _UNIT, others)


def change_month(sentence: str, rng: random.Random) -> str | None:
    return _replace_word(sentence, rng, _MONTH, lambda month: [m for m in MONTHS if m != month])


def names_in(sentence: str) -> list[str]:
    return [m.group() for m in _NAME.finditer(sentence)]


def swap_roles(sentence: str, rng: random.Random) -> str | None:
    """Two names (or the subject and a later name) trade places: who did what to whom changes."""
    found = [m for m in _NAME.finditer(sentence)]
    first_word = re.match(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", sentence)
    candidates = ([first_word] if first_word else []) + found
    pairs = [
        (a, b)
        for i, a in enumerate(candidates)
        for b in candidates[i + 1 :]
        if a.group() != b.group()
        and a.end() < b.start()
        and not re.fullmatch(
            r",? (?:and|or|&|,) ?|, | and |-| of |'s ", sentence[a.end() : b.start()]
        )
        and "between" not in sentence[max(0, a.start() - 9) : a.start()]
        and len(sentence[a.end() : b.start()].split()) >= 2
    ]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    text = sentence
    return _changed(
        sentence,
        text[: a.start()] + b.group() + text[a.end() : b.start()] + a.group() + text[b.end() :],
    )


def replace_name(sentence: str, rng: random.Random, pool: Sequence[str]) -> str | None:
    found = list(_NAME.finditer(sentence))
    first_word = re.match(r"[A-Z][a-z]{2,}(?: [A-Z][a-z]+)*(?= [a-z])", sentence)
    if first_word is not None and rng.random() < 0.4:
        found.append(first_word)
    if not found:
        return None
    m = rng.choice(found)
    lowered = sentence.lower()
    choices = [n for n in pool if n.lower() not in lowered]
    if not choices:
        return None
    return _changed(sentence, sentence[: m.start()] + rng.choice(choices) + sentence[m.end() :])


def add_content(sentence: str, rng: random.Random, other: str) -> str | None:
    """The claim says more than the sentence: a phrase or clause taken from another sentence."""
    pieces = [p.strip() for p in re.split(r"[,;:()]", other.rstrip(".")) if len(p.split()) >= 3]
    if not pieces:
        return None
    piece = _lower_first(rng.choice(pieces))
    base = shortened(sentence, rng).rstrip(".!?") if rng.random() < 0.5 else sentence.rstrip(".!?")
    how = rng.random()
    if how < 0.3:
        return _changed(sentence, _sentence(f"{base}, {piece}"))
    if how < 0.55:
        return _changed(sentence, _sentence(f"{base} because {piece}"))
    if how < 0.75:
        return _changed(sentence, _sentence(f"{base}, and {piece}"))
    return _changed(sentence, _sentence(f"{base}. {other}"))


PERTURBATIONS: dict[str, Variant] = {
    "negation": toggle_negation,
    "number": change_number,
    "unit": change_unit,
    "date": change_month,
    "swap": swap_roles,
}
