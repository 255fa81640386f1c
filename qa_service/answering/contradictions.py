"""(claim, quote) -> the first plain fact of the claim that its quote contradicts or lacks, if any.

The support judge runs these cheap, deterministic checks before its model: a number, quantity,
unit or month the quote does not state, a name the quote does not mention, a negation added or
dropped. Each failure comes back as a reason a user can read ("the quote says 1975, not 1976").
They are rules about English text (digits, capitals, negation words), not about any corpus.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from indexer.analysis import STOPWORDS

_TOKEN = re.compile(r"\$?\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:['’-][^\W\d_]+)*|n['’]t", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Number words and the digits they write. Not "one": it is as often a pronoun ("one of").
_SMALL = "two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
_TEENS = "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()  # noqa: SIM905
NUMBER_WORDS = {word: str(value) for value, word in enumerate(_SMALL + _TEENS, start=2)} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
}
# Unit words, by what they measure: "5 percent" == "5%", "3 km" == "3 kilometers".
_UNITS = {
    "%": "percent",
    "percent": "percent",
    "per cent": "percent",
    "percentage points": "points",
    "points": "points",
    "km": "kilometers",
    "kilometer": "kilometers",
    "kilometre": "kilometers",
    "kilometers": "kilometers",
    "kilometres": "kilometers",
    "mile": "miles",
    "miles": "miles",
    "m": "meters",
    "meter": "meters",
    "metre": "meters",
    "meters": "meters",
    "metres": "meters",
    "kg": "kilograms",
    "kilogram": "kilograms",
    "kilograms": "kilograms",
    "ton": "tons",
    "tons": "tons",
    "tonne": "tons",
    "tonnes": "tons",
    "barrel": "barrels",
    "barrels": "barrels",
    "$": "dollars",
    "dollar": "dollars",
    "dollars": "dollars",
    "euro": "euros",
    "euros": "euros",
    "pound": "pounds",
    "pounds": "pounds",
    "million": "million",
    "millions": "million",
    "billion": "billion",
    "billions": "billion",
    "thousand": "thousand",
    "thousands": "thousand",
    "second": "seconds",
    "seconds": "seconds",
    "ms": "milliseconds",
    "millisecond": "milliseconds",
    "milliseconds": "milliseconds",
    "minute": "minutes",
    "minutes": "minutes",
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
    "decade": "decades",
    "decades": "decades",
    "century": "centuries",
    "centuries": "centuries",
    "byte": "bytes",
    "bytes": "bytes",
    "kb": "kilobytes",
    "mb": "megabytes",
    "gb": "gigabytes",
    "token": "tokens",
    "tokens": "tokens",
}
_SCALES = frozenset({"thousand", "million", "billion"})
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()  # noqa: SIM905
)
_NEGATIONS = frozenset(
    "not n't n’t no never neither nor none nobody nothing nowhere without cannot".split()  # noqa: SIM905
)
# Negation words that deny nothing here: "no matter", "no more than", "not only".
_NOT_NEGATING = ("matter", "more than", "less than", "fewer than", "only", "just", "least")
_NEGATION_REACH = 4  # a negation word governs the content words this close after it
_CLAUSE_END = re.compile(r"[,;:.!?()]")


@dataclass(frozen=True)
class _Word:
    text: str  # as written
    lower: str
    stem: str
    position: int  # index among the words
    offset: int  # character offset in the text
    clause: int  # index of the clause (between commas, semicolons, sentence ends)
    sentence_start: bool  # the first word of a sentence (its capital says nothing)


@lru_cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _words(text: str) -> list[_Word]:
    found = list(_TOKEN.finditer(text))
    stems = _stemmer().stemWords([m.group().lower() for m in found])
    words: list[_Word] = []
    previous_end = 0
    clause = 0
    for i, (match, stem) in enumerate(zip(found, stems, strict=True)):
        gap = text[previous_end : match.start()]
        clause += len(_CLAUSE_END.findall(gap))
        starts = i == 0 or bool(re.search(r"[.!?:;\"“(]\s*$", gap))
        words.append(
            _Word(match.group(), match.group().lower(), stem, i, match.start(), clause, starts)
        )
        previous_end = match.end()
    return words


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text.replace("’", "'").replace("“", '"').replace("”", '"')).strip()


def is_verbatim(claim: str, quote: str) -> bool:
    """The claim is a piece of the quote, up to spacing, typography and final punctuation."""
    body = normalise(claim).rstrip(".!?;: ")
    return bool(body) and body in normalise(quote)


def first_mismatch(claim: str, quote: str) -> str | None:
    """Why the quote does not support the claim, if a plain check can tell; otherwise None."""
    claim_words, quote_words = _words(claim), _words(quote)
    for check in (_numbers, _units, _months, _names):
        reason = check(claim_words, quote_words)
        if reason is not None:
            return reason
    return _negation(claim, claim_words, quote, quote_words)


# --- numbers, units, months -----------------------------------------------------------------


def _number(word: _Word) -> str | None:
    """The value a word writes, normalised: "1,458" -> "1458", "5%" -> "5", "three" -> "3"."""
    if word.lower in NUMBER_WORDS:
        return NUMBER_WORDS[word.lower]
    digits = word.lower.strip("$%")
    if not digits[:1].isdigit():
        return None
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):
        digits = digits.replace(",", "")
    return digits.replace(",", ".")


def _numbers(claim: list[_Word], quote: list[_Word]) -> str | None:
    stated = {n: w for w in quote if (n := _number(w)) is not None}
    for word in claim:
        value = _number(word)
        if value is None or value in stated:
            continue
        if not stated:
            return f"the quote gives no figure {word.text}"
        closest = min(stated, key=lambda n: _distance(n, value))
        return f"the quote says {stated[closest].text}, not {word.text}"
    return None


def _distance(a: str, b: str) -> float:
    """How unlike two numbers are: the same shape (a year and a year) first, then magnitude."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return math.inf
    shape = 0.0 if (len(a) == 4) == (len(b) == 4) else 100.0
    return shape + abs(math.log10(abs(x) + 1) - math.log10(abs(y) + 1))


def _units_of(words: list[_Word], i: int) -> list[str]:
    """The units a number is given in: "$3 million" -> dollars, million; "5%" -> percent."""
    word = words[i]
    units = ["dollars"] if word.lower.startswith("$") else []
    if word.lower.endswith("%"):
        units.append("percent")
    following = [w.lower for w in words[i + 1 : i + 4]]
    for scale_first in (True, False):  # "500 million dollars": a scale, then the unit
        if not following:
            break
        pair = " ".join(following[:2])
        unit = _UNITS.get(pair) or _UNITS.get(following[0])
        if unit is None:
            break
        units.append(unit)
        following = following[len(pair.split()) if unit == _UNITS.get(pair) else 1 :]
        if not scale_first or unit not in _SCALES:
            break
    return units


def _units(claim: list[_Word], quote: list[_Word]) -> str | None:
    quoted: dict[str, set[str]] = {}
    for i, word in enumerate(quote):
        value = _number(word)
        if value is not None:
            quoted.setdefault(value, set()).update(_units_of(quote, i))
    for i, word in enumerate(claim):
        value = _number(word)
        units = quoted.get(value or "")
        if not units:
            continue
        for unit in _units_of(claim, i):
            if unit not in units:
                said = " ".join(sorted(units, key=lambda u: u not in _SCALES))
                return f"the quote says {word.text} {said}, not {word.text} {unit}"
    return None


def _months(claim: list[_Word], quote: list[_Word]) -> str | None:
    quoted = {w.lower for w in quote if w.lower in _MONTHS}
    for word in claim:
        # "May" opening a sentence is as likely the verb as the month.
        if word.lower in _MONTHS and word.lower not in quoted and word.text[0].isupper():
            if word.lower == "may" and word.sentence_start:
                continue
            if quoted:
                return f"the quote says {sorted(quoted)[0].title()}, not {word.text}"
            return f"the quote does not mention {word.text}"
    return None


# --- names ----------------------------------------------------------------------------------


def _is_name(word: _Word) -> bool:
    # A capital opening a sentence says nothing: "Because", "Solving" and "Iran" look alike.
    return (
        word.text[0].isupper()
        and not word.sentence_start
        and word.lower not in STOPWORDS
        and word.lower not in _MONTHS
    )


def _mentions(name: _Word, quote: list[_Word], quote_text: str) -> bool:
    lower = re.sub(r"['’]s$", "", name.lower)
    if f" {lower} " in quote_text:
        return True
    if "-" in name.text:  # "Iraq-Iran": both names must be there
        parts = [p for p in name.text.split("-") if p]
        return all(_mentions(_words(part)[0], quote, quote_text) for part in parts)
    # The same name in another form: "Iraq" / "Iraqi", "Britain" / "British".
    for word in quote:
        shared = next(
            (i for i, (a, b) in enumerate(zip(lower, word.lower, strict=False)) if a != b),
            min(len(lower), len(word.lower)),
        )
        if shared >= 4 and shared >= min(len(lower), len(word.lower)) - 3:
            return True
    # An acronym of capitalised words: "UN" / "United Nations".
    if name.text.isupper() and len(name.text) >= 2:
        capitals = "".join(w.text[0] for w in quote if w.text[0].isupper())
        return name.text in capitals
    return False


def _names(claim: list[_Word], quote: list[_Word]) -> str | None:
    # Hyphenated words count whole and in parts: "multi-GPU" mentions GPU.
    quote_text = " " + " ".join(w.lower + " " + w.lower.replace("-", " ") for w in quote) + " "
    for word in claim:
        if _is_name(word) and not _mentions(word, quote, quote_text):
            return f"the quote does not mention {word.text}"
    return None


# --- negation -------------------------------------------------------------------------------


def _is_negation(words: list[_Word], word: _Word) -> bool:
    following = " ".join(w.lower for w in words[word.position + 1 : word.position + 3])
    if word.lower in ("rather", "instead"):  # "rather than X", "instead of X" deny X
        return following.startswith(("than", "of"))
    if not (word.lower in _NEGATIONS or word.lower.endswith(("n't", "n’t"))):
        return False
    return not following.startswith(_NOT_NEGATING)


def _governed(words: list[_Word], cue: _Word) -> list[_Word]:
    """The content words a negation word reaches: the next few in its clause."""
    reach: list[_Word] = []
    for word in words[cue.position + 1 :]:
        if word.clause != cue.clause or len(reach) == _NEGATION_REACH:
            break
        if word.lower not in STOPWORDS and not _is_negation(words, word):
            reach.append(word)
    return reach


def _negated(words: list[_Word], word: _Word) -> bool:
    """Whether a negation in the word's clause stands just before it ("did not sign") or just
    after it ("the treaty was not signed")."""
    window = words[max(0, word.position - _NEGATION_REACH) : word.position + 3]
    return any(_is_negation(words, w) and w.clause == word.clause for w in window)


def _unmatched_negation(source: list[_Word], target: list[_Word]) -> _Word | None:
    """A negation of `source` whose negated words `target` states, nowhere negating them."""
    target_stems = {w.stem for w in target}
    for cue in (w for w in source if _is_negation(source, w)):
        reach = _governed(source, cue)
        shared = {w.stem for w in reach if w.stem in target_stems}
        if not reach or len(shared) < min(2, len(reach)):
            continue  # the negated part is not what the other text talks about
        if not any(_negated(target, w) for w in target if w.stem in shared):
            return cue
    return None


def _negation(
    claim_text: str, claim: list[_Word], quote_text: str, quote: list[_Word]
) -> str | None:
    added = _unmatched_negation(claim, quote)
    if added is not None:
        said = _phrase(claim_text, claim, added)
        return f"the claim says “{said}”, but the quote does not negate it"
    dropped = _unmatched_negation(quote, claim)
    if dropped is not None:
        said = _phrase(quote_text, quote, dropped)
        return f"the quote says “{said}”, but the claim leaves out the negation"
    return None


def _phrase(text: str, words: list[_Word], cue: _Word) -> str:
    """The negation and what it negates, as written: "not a member"."""
    reach = _governed(words, cue)
    end = reach[0].offset + len(reach[0].text) if reach else cue.offset + len(cue.text)
    return text[cue.offset : end]
