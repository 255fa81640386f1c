"""(claim, quote) -> the first plain fact of the claim that its quote contradicts or lacks, if any.

The support judge runs these cheap, deterministic checks first: a number, quantity, unit, month
or season the quote does not state, a name the quote does not mention, a negation added or
dropped (or a denial from a quote that denies nothing), a word traded for its opposite (or a
quantifier for a weaker one), a superlative from a quote that ranks nothing, one of two
opposites the quote holds both of said of what the quote says the other of ("open on public
holidays" from "open on weekdays and closed on public holidays"), two roles exchanged around
the same word ("X leases it to Y" for "Y leases it to X"), and, the two texts aligned word by
word, a thing of the quote put in the place of another that the quote still names elsewhere
("the CPU implementation" for "the GPU implementation ... CPU or GPU memory"), "after" for
"before" with the same thing after it, and a condition turned round ("A when B" for "B when
A"). Each failure
comes back as a reason a user can read ("the quote says 1975, not 1976"). They are rules about
English text (digits, capitals, negation words, word order), not about any corpus.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import Stemmer

from indexer.analysis import MONTHS, STOPWORDS

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
    "cm": "centimeters",
    "centimeter": "centimeters",
    "centimetre": "centimeters",
    "centimeters": "centimeters",
    "centimetres": "centimeters",
    "mm": "millimeters",
    "millimeter": "millimeters",
    "millimetre": "millimeters",
    "millimeters": "millimeters",
    "millimetres": "millimeters",
    "foot": "feet",
    "feet": "feet",
    "ft": "feet",
    "inch": "inches",
    "inches": "inches",
    "yard": "yards",
    "yards": "yards",
    "hectare": "hectares",
    "hectares": "hectares",
    "acre": "acres",
    "acres": "acres",
    "g": "grams",
    "gram": "grams",
    "grams": "grams",
    "litre": "liters",
    "liter": "liters",
    "litres": "liters",
    "liters": "liters",
    "gallon": "gallons",
    "gallons": "gallons",
    "degree": "degrees",
    "degrees": "degrees",
}
_SCALES = frozenset({"thousand", "million", "billion"})
_MONTHS = frozenset(month.lower() for month in MONTHS)
_NEGATIONS = frozenset(
    "not n't n’t no never neither nor none nobody nothing nowhere without cannot".split()  # noqa: SIM905
)
# Negation words that deny nothing here: "no matter", "not only", "including but not limited
# to"; nor does one that bounds a comparison ("no more than", "no later than": see _is_negation).
_NOT_NEGATING = ("matter", "only", "just", "least", "limited to", "necessarily limited")
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


# Texts whose words are kept: a claim is read against several quotes, and the same sentences
# come up again for other questions. A pure function of the text, so right for any index.
_CACHED_TEXTS = 2048


_OPENS_SENTENCE = re.compile(r"[.!?:;\"“(]\s*$")  # what comes before a sentence's first word


def _words(text: str) -> list[_Word]:
    return list(_read_words(text))  # a copy: callers may extend it


@lru_cache(maxsize=_CACHED_TEXTS)
def _read_words(text: str) -> tuple[_Word, ...]:
    found = list(_TOKEN.finditer(text))
    stems = _stemmer().stemWords([m.group().lower() for m in found])
    words: list[_Word] = []
    previous_end = 0
    clause = 0
    for i, (match, stem) in enumerate(zip(found, stems, strict=True)):
        gap = text[previous_end : match.start()]
        clause += len(_CLAUSE_END.findall(gap))
        starts = i == 0 or bool(_OPENS_SENTENCE.search(gap))
        words.append(
            _Word(match.group(), match.group().lower(), stem, i, match.start(), clause, starts)
        )
        previous_end = match.end()
    return tuple(words)


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text.replace("’", "'").replace("“", '"').replace("”", '"')).strip()


def is_verbatim(claim: str, quote: str) -> bool:
    """The claim is a piece of the quote, up to spacing, typography and final punctuation."""
    body = normalise(claim).rstrip(".!?;: ")
    return bool(body) and body in normalise(quote)


def first_mismatch(claim: str, quote: str) -> str | None:
    """Why the quote does not support the claim, if a plain check can tell; otherwise None."""
    claim_words, quote_words = _words(claim), _words(quote)
    for check in (_numbers, _units, _months, _seasons, _names):
        reason = check(claim_words, quote_words)
        if reason is not None:
            return reason
    return (
        _negation(claim, claim_words, quote, quote_words)
        or _contrasts(claim_words, quote_words)
        or _opposite_nearer(claim, claim_words, quote, quote_words)
        or _superlative(claim_words, quote_words)
        or _converse(claim, claim_words, quote, quote_words)
        or _turned_condition(quote, claim_words, quote_words)
        or _roles(claim_words, quote_words)
        or _exchanged(claim, claim_words, quote, quote_words)
    )


# Function words the analyser's stop list lacks: the pronoun "one" ("a deterministic one"), and
# the particles of phrasal verbs ("pushed it aside"), which say nothing the verb does not.
_LIGHT = frozenset(
    "one ones another aside away back apart along around forward together ahead".split()  # noqa: SIM905
)


def unmatched(claim: str, quote: str) -> list[tuple[str, int]]:
    """The claim's content words (as written, with their offsets) that the quote does not
    repeat as the same stem or name, whole or as a part of a hyphenated word ("settings" is in
    "pydantic-settings"); figures are left to the checks above."""
    quoted = _words(quote)
    quoted += [part for w in quoted if "-" in w.text for part in _words(w.text.replace("-", " "))]
    return [
        (word.text, word.offset)
        for word in _words(claim)
        if word.lower not in STOPWORDS
        and word.lower not in _NEGATIONS
        and word.lower not in _LIGHT
        and len(word.lower) > 1
        and _number(word) is None
        and not any(_same(word, q) for q in quoted)
    ]


_JOINING = frozenset(("and", "or"))


def inserted(claim: str, quote: str, unsaid: set[int]) -> tuple[str, str] | None:
    """Claim words (given by their offsets) wedged into a phrase the quote has whole: a modifier
    put before a head word that follows the same word in the quote ("the 96 steep steps" for
    "the 96 steps", "rare books"), or an item joined to one the quote has, where the quote goes
    straight on ("its minutes and its budget within a week" for "its minutes within a week",
    "clean and insured." for "clean.", "sparse and dense vectors" for "dense vectors"). Returns
    what the quote says there and what the claim says. Adverbs ("widely believed") and words
    before a function word ("costs fell by" for "costs by") reword the sentence around them
    rather than add to a phrase."""
    claim_words, quote_words = _words(claim), _words(quote)
    runs: list[list[_Word]] = []
    for word in claim_words:
        if word.offset not in unsaid:
            continue
        if runs and runs[-1][-1].position == word.position - 1:
            runs[-1].append(word)
        else:
            runs.append([word])
    for run in runs:
        if any(w.lower.endswith("ly") for w in run):
            continue
        for left, right in _wedge_sides(claim_words, run):
            before = claim_words[left]
            after = claim_words[right] if right is not None else None
            said = _adjacent(quote_words, before, after)
            if said is not None:
                end = after or run[-1]
                return quote[said[0] : said[1]], claim[before.offset : end.offset + len(end.text)]
    return None


def _wedge_sides(words: list[_Word], run: list[_Word]) -> list[tuple[int, int | None]]:
    """The claim words (positions; None past the end) that would stand side by side without the
    run: around a modifier, or around an item and the joining word with it."""
    start, after = run[0].position, run[-1].position + 1
    sides: list[tuple[int, int | None]] = []
    if start > 0 and after < len(words) and _content(words[after]):
        sides.append((start - 1, after))  # "96 steep steps"
    joining = start - 1
    while (
        joining > 0 and words[joining].lower in STOPWORDS and words[joining].lower not in _JOINING
    ):
        joining -= 1  # "minutes and its budget": back over "its" to "and"
    if joining > 0 and words[joining].lower in _JOINING and start - joining <= 3:
        sides.append((joining - 1, after if after < len(words) else None))
    if start > 0 and after + 1 < len(words) and words[after].lower in _JOINING:
        sides.append((start - 1, after + 1))  # "of sparse and dense vectors"
    return sides


def _adjacent(quote: list[_Word], before: _Word, after: _Word | None) -> tuple[int, int] | None:
    """Where the quote has `before` followed straight by `after` (by its own end when `after`
    is None): the span's offsets, else None."""
    for i, word in enumerate(quote):
        if not _same(before, word):
            continue
        follows = quote[i + 1] if i + 1 < len(quote) else None
        if after is None and follows is None:
            return word.offset, word.offset + len(word.text)
        if after is not None and follows is not None and _same(after, follows):
            return word.offset, follows.offset + len(follows.text)
    return None


_SLOT_WORDS = 2  # a slot holds a word or two: "Turing machine" / "quantum computer"


@dataclass(frozen=True)
class Slot:
    """Claim words that stand where the quote has other words of the same kind, between the same
    neighbours: each word as written, with its character offset in its own text."""

    claimed: tuple[tuple[str, int], ...]
    said: tuple[tuple[str, int], ...]


def _content(word: _Word) -> bool:
    return (
        word.lower not in STOPWORDS
        and word.lower not in _NEGATIONS
        and word.lower not in _LIGHT
        and len(word.lower) > 1
        and _number(word) is None
    )


def _shape(word: _Word) -> tuple[bool, str]:
    """What kind of word it is, as far as its spelling tells: a name or not (a capital inside a
    word makes a name too: "gRPC"), and its ending of an adverb, a gerund or a past form.
    "pushed" in the place of "having" is a rewording of the sentence around it, not another
    thing in the same place."""
    ending = next((e for e in ("ly", "ing", "ed") if word.lower.endswith(e)), "")
    return _is_name(word) or any(c.isupper() for c in word.text[1:]), ending


def _framed_alike(
    claim: list[_Word], run: list[_Word], quote: list[_Word], gap: list[_Word]
) -> bool:
    """The words right before and right after the two runs are the same words (or both runs
    open or close their text): "the western bank of" for "the eastern bank of"."""

    def word(words: list[_Word], position: int) -> str:
        return words[position].lower if 0 <= position < len(words) else ""

    return word(claim, run[0].position - 1) == word(quote, gap[0].position - 1) and word(
        claim, run[-1].position + 1
    ) == word(quote, gap[-1].position + 1)


def other_units(a: str, b: str) -> bool:
    """Whether two words name two different units or scales ("week" and "day", "millions" and
    "billions"): never near-synonyms, however close a model places them."""
    first, second = _UNITS.get(a.lower()), _UNITS.get(b.lower())
    return first is not None and second is not None and first != second


def other_compounds(a: str, b: str) -> bool:
    """Whether two words are one compound head with two different modifiers ("one-line" and
    "multi-line", "session-scoped" and "module-scoped"): two kinds of one thing, however close
    a model places them."""
    first, _, head = a.lower().rpartition("-")
    second, _, other_head = b.lower().rpartition("-")
    return bool(first and second and head == other_head and first != second)


def _moved(word: _Word, claimed: list[_Word], said: list[_Word]) -> bool:
    """Whether the claim says the quote word as often as the quote does: moved, not replaced."""
    return sum(_same(c, word) for c in claimed) >= sum(_same(q, word) for q in said)


def replaced(claim: str, quote: str) -> list[Slot]:
    """In a claim that repeats all its quote's content words but one or two, those words when
    they stand in the place of others of the same kind: the run of claim content words the quote
    does not repeat, whose neighbouring content words (or the sentence's ends) the quote does
    repeat with as many other content words between them, right after and before the same words,
    negated alike: "a given polynomial"
    for "a given integer", "Annoy is a library" for "Faiss is a library". Whether the words
    differ in meaning is for the caller to say."""
    claim_words, quote_words = _words(claim), _words(quote)
    claimed = [w for w in claim_words if _content(w)]
    said = [w for w in quote_words if _content(w)]
    matches = _matches(claimed, said)
    if sum(not m for m in matches) > _SLOT_WORDS:
        return []  # a rewording of several words, not a word or two put in another's place
    slots = []
    start = 0
    while start < len(claimed):
        if matches[start]:
            start += 1
            continue
        end = start
        while end < len(claimed) and not matches[end]:
            end += 1
        run = claimed[start:end]
        lefts = matches[start - 1] if start > 0 else [-1]
        rights = matches[end] if end < len(claimed) else [len(said)]
        gap = next(
            (
                said[left + 1 : right]
                for left in lefts
                for right in rights
                if right - left - 1 == len(run)
            ),
            None,
        )
        if (
            gap is not None
            and all(_shape(c) == _shape(q) for c, q in zip(run, gap, strict=True))
            and not any(_moved(q, claimed, said) for q in gap)
            and _negated(claim_words, run[0]) == _negated(quote_words, gap[0])
            and _framed_alike(claim_words, run, quote_words, gap)
        ):
            slots.append(
                Slot(tuple((w.text, w.offset) for w in run), tuple((w.text, w.offset) for w in gap))
            )
        start = end
    return slots


def _matches(claimed: list[_Word], said: list[_Word]) -> list[list[int]]:
    """For each claimed word, the positions in `said` of the words it is the same as (`_same`),
    in order: words looked up by value and by stem, names compared in their name form, each
    read once instead of once per pair."""
    values = [_number(q) for q in said]
    by_value: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    names: list[tuple[int, str]] = []
    for j, (q, value) in enumerate(zip(said, values, strict=True)):
        if value is not None:
            by_value.setdefault(value, []).append(j)
            continue
        by_stem.setdefault(q.stem, []).append(j)
        name = _name_form(q)
        if name is not None:
            names.append((j, name))
    found = []
    for c in claimed:
        value = _number(c)
        if value is not None:
            found.append(list(by_value.get(value, [])))
            continue
        same = by_stem.get(c.stem, [])
        name = _name_form(c)
        if name is not None:
            named = [j for j, other in names if _one_name(name, other)]
            same = sorted(set(same).union(named)) if named else same
        found.append(list(same))
    return found


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


def _and_a_half(words: list[_Word]) -> dict[str, _Word]:
    """Figures written with "and a half": "one and a half million" states 1.5."""
    found = {}
    for word in words:
        following = [w.lower for w in words[word.position + 1 : word.position + 4]]
        whole = "1" if word.lower == "one" else _number(word)
        if following == ["and", "a", "half"] and whole is not None:
            found[f"{float(whole) + 0.5:g}"] = word
    return found


# Words that state two without a figure: "two conditions" can cite "both conditions".
# Not "either": "either 1 or 0" states two figures, not the figure two.
_TWO = frozenset("both pair twice double dual".split())  # noqa: SIM905


def _numbers(claim: list[_Word], quote: list[_Word]) -> str | None:
    stated = {n: w for w in quote if (n := _number(w)) is not None} | _and_a_half(quote)
    two = next((w for w in quote if w.lower in _TWO), None)
    if two is not None:
        stated.setdefault("2", two)
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


# Not "fall": as often the verb.
_SEASONS = frozenset(("spring", "summer", "autumn", "winter"))


def _seasons(claim: list[_Word], quote: list[_Word]) -> str | None:
    """A season the quote does not give, where it gives another ("spring" for "autumn")."""
    quoted = sorted({w.lower for w in quote if w.lower in _SEASONS})
    for word in claim:
        if word.lower in _SEASONS and quoted and word.lower not in quoted:
            return f"the quote says {quoted[0]}, not {word.text}"
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
    bounds = following.split()[1:2] == ["than"]  # "no later than", "not more than"
    return not (bounds or following.startswith(_NOT_NEGATING))


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
    after it ("the treaty was not signed"), or a word that denies by its meaning: "no print
    outside CLIs" is said as "print only in CLIs", "knows nothing of" as "is unaware of"."""
    window = words[max(0, word.position - _NEGATION_REACH) : word.position + 3]
    if any(
        (_is_negation(words, w) or (w is not word and _denies([w]))) and w.clause == word.clause
        for w in window
    ):
        return True
    # Or a negation further back that reaches it: "rather than giving birth to live young".
    cues = (w for w in words[: word.position] if w.clause == word.clause and _is_negation(words, w))
    return any(word in _governed(words, cue) for cue in cues)


def _unmatched_negation(source: list[_Word], target: list[_Word]) -> _Word | None:
    """A negation of `source` whose negated words `target` states, nowhere negating them."""
    target_stems = {w.stem for w in target}
    for cue in (w for w in source if _is_negation(source, w)):
        reach = _governed(source, cue)
        shared = {w.stem for w in reach if w.stem in target_stems}
        if not reach or len(shared) < min(2, len(reach)):
            continue  # the negated part is not what the other text talks about
        if _opposite_said([w for w in reach if w.stem not in target_stems], target):
            continue  # "not required" for "optional": the negation of an opposite
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
    # A claim that denies something needs a quote that denies something: a quote without any
    # negation states what is, and cannot be the source of what is not.
    denial = next((w for w in claim if _is_negation(claim, w)), None)
    if (
        denial is not None
        and not any(_is_negation(quote, w) for w in quote)
        and not _denies(quote)
        and not _opposite_said(_governed(claim, denial), quote)  # "not open" for "closed"
    ):
        said = _phrase(claim_text, claim, denial)
        return f"the claim says “{said}”, but the quote denies nothing"
    return None


# Words that deny by their meaning, without a negation word: "only", "except", "lacks",
# "free of", "too large to", and words that begin with a negating "un" or "non" (_NEGATING_PREFIX;
# not "uni-", "under", "until").
_DENYING = frozenset(
    """only solely except excluding unless lack lacks lacked lacking fail fails failed refuse
    refuses refused absent free instead rather unlike too avoid avoids prevent prevents
    exclude excludes excluded prohibit prohibits prohibited forbid forbids forbidden disallow
    disallows disallowed impossible omit omits omitted deny denies denied""".split()  # noqa: SIM905
)
_NEGATING_PREFIX = re.compile(r"(un(?!i|der|til|to)|non-?(?!e))[a-z]{4,}")


def _denies(words: list[_Word]) -> bool:
    """Whether a word of the text denies something by its meaning (see _DENYING)."""
    return any(w.lower in _DENYING or _NEGATING_PREFIX.fullmatch(w.lower) for w in words)


def _phrase(text: str, words: list[_Word], cue: _Word) -> str:
    """The negation and what it negates, as written: "not a member"."""
    reach = _governed(words, cue)
    end = reach[0].offset + len(reach[0].text) if reach else cue.offset + len(cue.text)
    return text[cue.offset : end]


# --- contrasts ------------------------------------------------------------------------------

# Opposites of general English, a negation without a negation word: "open" for "closed", "less"
# for "more". Pairs whose swap is a common faithful rewording ("before"/"after": "X before Y" is
# "Y after X") are left out. Not about any corpus: a claim that trades one for the other says
# the opposite of its quote.
_OPPOSITES = """open closed|more less|more fewer|larger smaller|bigger smaller|largest smallest
higher lower|highest lowest|increase decrease|increased decreased|increases decreases
rise fall|rose fell|raise reduce|raised reduced|raise lower|gain loss|maximum minimum
longest shortest|longer shorter|long short|faster slower|fast slow|fastest slowest
early late|earlier later|earliest latest|north south|east west|northern southern
eastern western|accept reject|accepted rejected|allow forbid|allowed forbidden
allow prohibit|allowed prohibited|permit prohibit|permitted prohibited|enable disable
enabled disabled|include exclude|included excluded|success failure|succeed fail
succeeded failed|win lose|won lost|true false|valid invalid|public private
internal external|inside outside|input output|import export|imported exported|upper lower
above below|strong weak|stronger weaker|hot cold|positive negative|required optional
mandatory optional|best worst|better worse|buy sell|bought sold|legal illegal
same different|minor major|majority minority|add remove|added removed|full empty
most least|many few|ascending descending|inclusive exclusive|synchronous asynchronous
uppercase lowercase|encrypt decrypt|compress decompress|cheap expensive|cheaper costlier
easy hard|easier harder|simple complex|simpler complex|safe unsafe|secure insecure
present absent|always never|everywhere nowhere|start stop|started stopped|entry exit
increasing decreasing|rising falling|ancient modern|winter summer|day night|light dark
heavy light|wet dry|rich poor|high low|lowest highest|all some|every some|all many|every many
always sometimes|always often|never sometimes|none some|all most|every most|all half|most half"""
_PREFIX = "non-"  # "non-commercial" is the opposite of "commercial"


@lru_cache
def _opposites() -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for pair in _OPPOSITES.replace("\n", "|").split("|"):
        a, b = _stemmer().stemWords(pair.split())
        pairs.setdefault(a, set()).add(b)
        pairs.setdefault(b, set()).add(a)
    return {stem: frozenset(others) for stem, others in pairs.items()}


def _contrasts(claim: list[_Word], quote: list[_Word]) -> str | None:
    """A claim word whose opposite the quote says instead ("open" where the quote says
    "closed", "commercial" for "non-commercial"), negated alike in both or in neither ("not
    open" for "closed" is faithful)."""
    opposites = _opposites()
    claim_stems, quote_stems = {w.stem for w in claim}, {w.stem for w in quote}
    for word in claim:
        if word.stem in quote_stems:
            continue
        for said in quote:
            opposite = said.stem in opposites.get(word.stem, ()) or _prefixed(word, said)
            if (
                opposite
                and said.stem not in claim_stems
                and _negated(claim, word) == _negated(quote, said)
            ):
                return f"the quote says “{said.text}”, not “{word.text}”"
    return None


_FOLLOWING = 3  # the claim words after an opposite that say what it is said of


def _opposite_nearer(
    claim_text: str, claim: list[_Word], quote_text: str, quote: list[_Word]
) -> str | None:
    """A quote that holds both words of a pair of opposites, and says the other one of what the
    claim says this one of: "open on public holidays" cited from "open on weekdays and closed
    on public holidays". What a word is said of: the content words after it in its clause,
    each found once in the quote, where the nearest of the two opposites before them decides."""
    opposites = _opposites()
    for word in claim:
        said = [q for q in quote if q.stem == word.stem]
        other = [q for q in quote if q.stem in opposites.get(word.stem, ())]
        if not said or not other or any(c.stem in opposites[word.stem] for c in claim):
            continue
        following = [
            w for w in claim[word.position + 1 :] if w.clause == word.clause and _content(w)
        ][:_FOLLOWING]
        for after in following:
            found = [q for q in quote if _same(after, q)]
            if len(found) != 1:
                continue
            before = [q for q in said + other if q.position < found[0].position]
            nearest = max(before, key=lambda q: q.position, default=None)
            if (
                nearest is not None
                and nearest in other
                and _negated(claim, word) == _negated(quote, nearest)
            ):
                last, last_found = _last_said(following, quote, nearest)
                return (
                    f"the quote says “{quote_text[nearest.offset : last_found]}”, not "
                    f"“{claim_text[word.offset : last]}”"
                )
            break
    return None


def _last_said(following: list[_Word], quote: list[_Word], start: _Word) -> tuple[int, int]:
    """Where the claim words and their quote counterparts after `start` end, as long as each
    is found once: for a reason that shows the whole phrase ("closed on public holidays")."""
    last = (0, 0)
    for word in following:
        found = [q for q in quote if _same(word, q) and q.position > start.position]
        if len(found) != 1:
            break
        last = (word.offset + len(word.text), found[0].offset + len(found[0].text))
    return last


# Superlatives of general English: a claim that ranks first says more than a quote that does
# not rank at all ("the largest investor" for "a major investor").
_SUPERLATIVES = frozenset(
    """largest biggest greatest highest lowest smallest fastest slowest best worst oldest newest
    longest shortest strongest weakest cheapest richest poorest earliest latest""".split()  # noqa: SIM905
)


def _superlative(claim: list[_Word], quote: list[_Word]) -> str | None:
    """A superlative the claim adds to a quote that ranks nothing ("worst-case", "maximum" and
    "most" rank)."""
    ranking = _SUPERLATIVES | {"most", "least", "maximum", "minimum", "top"}
    if any(part in ranking for w in quote for part in w.lower.split("-")):
        return None
    word = next((w for w in claim if w.lower in _SUPERLATIVES), None)
    return None if word is None else f"the claim says “{word.text}”, but the quote ranks nothing"


# Words that order two things: "X before Y" is "Y after X", so trading one for the other is a
# rewording when the two sides trade too, and a contradiction when they stay.
_CONVERSES = {"before": "after", "after": "before"}


def _converse(
    claim_text: str, claim: list[_Word], quote_text: str, quote: list[_Word]
) -> str | None:
    """ "after you spread the jam" for "before you spread the jam": the same thing after the
    other ordering word."""
    for word in claim:
        other = _CONVERSES.get(word.lower)
        if other is None or any(q.lower == word.lower for q in quote):
            continue
        following = next((w for w in claim[word.position + 1 :] if _content(w)), None)
        for said in (q for q in quote if q.lower == other):
            next_said = next((q for q in quote[said.position + 1 :] if _content(q)), None)
            if following is not None and next_said is not None and _same(following, next_said):
                end = next_said.offset + len(next_said.text)
                claimed_end = following.offset + len(following.text)
                return (
                    f"the quote says “{quote_text[said.offset : end]}”, not "
                    f"“{claim_text[word.offset : claimed_end]}”"
                )
    return None


# Verbs that say one relation from its two ends: "X lends Y to Z" is "Z borrows Y from X".
_CONVERSE_VERBS = (
    "lend borrow|give receive|send receive|sell buy|precede follow|teach learn|own belong"
)


@lru_cache
def _converse_stems() -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for pair in [*_CONVERSE_VERBS.split("|"), *(f"{a} {b}" for a, b in _CONVERSES.items())]:
        a, b = _stemmer().stemWords(pair.split())
        pairs.setdefault(a, set()).add(b)
        pairs.setdefault(b, set()).add(a)
    return {stem: frozenset(others) for stem, others in pairs.items()}


def _converse_said(claim: list[_Word], quote: list[_Word]) -> bool:
    """Whether the claim says with one word of a converse pair what the quote says with the
    other ("after" for "before", "borrow" for "lend"): its two sides rightly trade places."""
    converses = _converse_stems()
    quoted = {q.stem for q in quote}
    return any(w.stem not in quoted and quoted & converses.get(w.stem, frozenset()) for w in claim)


# Words that join a condition, a time or a cause to what it governs: "A when B" is not "B when A".
_CONDITIONS = frozenset("when whenever if unless because once until".split())  # noqa: SIM905


def _turned_condition(quote_text: str, claim: list[_Word], quote: list[_Word]) -> str | None:
    """The quote's two sides of "when" (or "if", "because", ...) trade places in the claim: "the
    server restarts when the cache is cleared" for "the cache is cleared when the server
    restarts"."""
    for cue in _CONDITIONS:
        in_claim = [w for w in claim if w.lower == cue]
        in_quote = [w for w in quote if w.lower == cue]
        if len(in_claim) != 1 or len(in_quote) != 1:
            continue
        if any(_after_comma(words, w) for words, w in ((claim, in_claim[0]), (quote, in_quote[0]))):
            continue  # ", when the light became automatic": at the same time, either way round
        left, right = _sides(claim, in_claim[0])
        said_left, said_right = _sides(quote, in_quote[0])
        if not (left and right and said_left and said_right):
            continue
        if _mostly(left, said_right) and _mostly(right, said_left) and not _mostly(left, said_left):
            end = said_right[-1].offset + len(said_right[-1].text)
            said = quote_text[said_left[0].offset : end]
            return f"the quote says “{said}”, not the other way round"
    return None


def _after_comma(words: list[_Word], word: _Word) -> bool:
    return word.position > 0 and words[word.position - 1].clause != word.clause


def _sides(words: list[_Word], cue: _Word) -> tuple[list[_Word], list[_Word]]:
    """The content words of the cue's clause-mates before and after it, within its sentence."""
    before = [w for w in words[: cue.position] if _content(w) and w.clause >= cue.clause - 1]
    after = [w for w in words[cue.position + 1 :] if _content(w) and w.clause == cue.clause]
    return before, after


def _mostly(words: list[_Word], others: list[_Word]) -> bool:
    """Most of the words are among the others."""
    return sum(any(_same(w, o) for o in others) for w in words) * 2 > len(words)


def _opposite_said(words: list[_Word], quote: list[_Word]) -> bool:
    """Whether the quote says the opposite of one of the words."""
    opposites = _opposites()
    return any(q.stem in opposites.get(w.stem, ()) or _prefixed(w, q) for w in words for q in quote)


def _prefixed(a: _Word, b: _Word) -> bool:
    """One word is the other with "non-" before it."""
    return a.lower != b.lower and (a.lower == _PREFIX + b.lower or b.lower == _PREFIX + a.lower)


# --- roles ----------------------------------------------------------------------------------

# Words that relate what stands on their two sides, besides content words: "X is a Y", "from X
# to Y", "X if Y", "X rather than Y". Other function words say too little about roles.
_RELATING = frozenset("is are was were to from into than if".split())  # noqa: SIM905
_BE = frozenset("is are was were be been being".split())  # noqa: SIM905
# Past participles that do not end in -ed, -en or -wn.
_IRREGULAR = "made held built sent paid set put kept led sold told found won done seen brought"
_PARTICIPLES = frozenset(
    (_IRREGULAR + " bought thought left run begun hit cut read said met").split()
)
_PASSIVE_REACH = 3  # "was signed in 1975 by": the agent's "by" this close after the verb


def _same(a: _Word, b: _Word) -> bool:
    """Whether two words name the same thing: one value, one stem, or one name in two forms."""
    value = _number(a)
    if value is not None or _number(b) is not None:
        return value == _number(b)
    return a.stem == b.stem or _same_name(a, b)


def _same_name(a: _Word, b: _Word) -> bool:
    """Whether two capitalised words are one name in two forms ("Iraq", "Iraqi")."""
    x, y = _name_form(a), _name_form(b)
    return x is not None and y is not None and _one_name(x, y)


def _name_form(word: _Word) -> str | None:
    """A capitalised word in lower case without its possessive; None for other words."""
    return re.sub(r"['’]s$", "", word.lower) if word.text[0].isupper() else None


def _one_name(x: str, y: str) -> bool:
    """Whether two name forms share enough of a beginning to be one name."""
    shared = next(
        (i for i, (c, d) in enumerate(zip(x, y, strict=False)) if c != d), min(len(x), len(y))
    )
    return shared >= 4 and shared >= min(len(x), len(y)) - 3


def _anchor(word: _Word) -> bool:
    """A word whose place says something: a content word, a figure, a one-letter name ("P",
    "C" of "C++"), or a word that relates its two sides."""
    if word.lower in STOPWORDS or word.lower in _NEGATIONS:
        return word.lower in _RELATING
    return len(word.lower) > 1 or word.text.isupper() or _number(word) is not None


def _aligned(claim: list[_Word], quote: list[_Word]) -> list[tuple[_Word, _Word]]:
    """Claim words paired with the quote words they repeat, where the pairing is certain: the
    same thing written as often in both texts, its k-th mention paired with the k-th."""
    anchors = [w for w in quote if _anchor(w)]
    groups: dict[tuple[int, ...], list[_Word]] = {}
    for word in (w for w in claim if _anchor(w)):
        matches = tuple(q.position for q in anchors if _same(word, q))
        if matches:
            groups.setdefault(matches, []).append(word)
    pairs = []
    for matches, words in groups.items():
        if len(matches) == len(words):
            pairs += [(w, quote[q]) for w, q in zip(words, matches, strict=True)]
    return pairs


def _passive(words: list[_Word], verb: _Word) -> bool:
    """A verb in the passive ("was signed", "signed by", "can be reset by"): its subject is
    what it acts on."""
    before = words[max(0, verb.position - 2) : verb.position]
    after = words[verb.position + 1 : verb.position + 1 + _PASSIVE_REACH]
    after_be = any(w.lower in _BE for w in before)
    by_agent = any(w.lower == "by" and w.clause == verb.clause for w in after)
    if after_be and by_agent:  # "be ... by" is passive whatever the participle looks like
        return True
    if not (verb.lower.endswith(("ed", "en", "wn")) or verb.lower in _PARTICIPLES):
        return False
    return after_be or by_agent


def _chunks(pairs: list[tuple[_Word, _Word]]) -> list[list[tuple[_Word, _Word]]]:
    """The aligned words in claim order, cut into runs that follow each other in the quote too:
    "Ayatollah Ali Khamenei" moves as one piece."""
    quoted = sorted(q.position for _, q in pairs)
    rank = {position: i for i, position in enumerate(quoted)}
    chunks: list[list[tuple[_Word, _Word]]] = []
    for pair in sorted(pairs, key=lambda p: p[0].position):
        if chunks and rank[pair[1].position] == rank[chunks[-1][-1][1].position] + 1:
            chunks[-1].append(pair)
        else:
            chunks.append([pair])
    return chunks


# A swap is two pieces trading places within a frame that stays: with three aligned pieces or
# fewer, two of them on either side of a third, the whole sentence is turned round, as a
# paraphrase does ("you do not need to restart the server after an update" for "an update takes
# effect without a server restart").
_FRAMED_CHUNKS = 4


def _roles(claim: list[_Word], quote: list[_Word]) -> str | None:
    """Two pieces of the quote that trade places in the claim around the same words: "the
    emirate would lease the island to Iraq" claimed as "Iraq would lease the island to the
    emirate". The two are of one kind (names, figures or common words) and each stands where the
    other stood, between the same neighbours, so moving a date or a place to the other end of the
    sentence is no swap. The words between them are written alike on both sides: "search" for
    "searches" may be a noun for a verb, which turns a sentence round as the passive does ("X
    was signed by Y" for "Y signed X"), and so does "after" for "before".
    """
    if _converse_said(claim, quote):
        return None  # "Y after X" for "X before Y" trades the sides as it should
    chunks = _chunks(_aligned(claim, quote))
    if len(chunks) < _FRAMED_CHUNKS:
        return None  # "restart ... server ... update" for "update ... server restart": reworded
    order = sorted(range(len(chunks)), key=lambda i: chunks[i][0][1].position)
    place = {chunk: at for at, chunk in enumerate(order)}  # chunk -> its place in the quote

    def around(i: int, in_quote: bool) -> tuple[int | None, int | None]:
        """The chunks either side of chunk i, in claim order or in quote order."""
        at, sequence = (place[i], order) if in_quote else (i, list(range(len(chunks))))
        return (
            sequence[at - 1] if at > 0 else None,
            sequence[at + 1] if at + 1 < len(sequence) else None,
        )

    def took_place(x: int, y: int) -> bool:
        """Whether chunk x stands in the claim where chunk y stands in the quote."""
        return around(x, False) == around(y, True)

    for a in range(len(chunks)):
        for b in range(a + 2, len(chunks)):
            if place[b] > place[a] or _kind(chunks[a]) != _kind(chunks[b]):
                continue
            if not (took_place(a, b) and took_place(b, a)):
                continue
            if _whole_clause(chunks, a) and _whole_clause(chunks, b):
                continue  # two clauses in the other order: "X, so Y" for "Y: X"
            between = [
                c
                for c in range(a + 1, b)
                if place[b] < place[c] < place[a] and any(w.lower == q.lower for w, q in chunks[c])
            ]
            if between and not any(
                _voice_changes(chunks[c], claim, quote) for c in [a, b, *between]
            ):
                first, second = _text(chunks[a]), _text(chunks[b])
                pivot = _text(chunks[between[0]])
                said, claimed = f"{second} … {pivot} … {first}", f"{first} … {pivot} … {second}"
                return f"the quote says “{said}”, not “{claimed}”"
    return None


def _whole_clause(chunks: list[list[tuple[_Word, _Word]]], i: int) -> bool:
    """Whether chunk i is all that the claim's clause holding it shares with the quote, but for
    relating words: then it moves as a clause moves, not as a role does."""
    clause = chunks[i][0][0].clause
    return not any(
        _content(word)
        for j, chunk in enumerate(chunks)
        if j != i
        for word, _ in chunk
        if word.clause == clause
    )


def _voice_changes(
    chunk: list[tuple[_Word, _Word]], claim: list[_Word], quote: list[_Word]
) -> bool:
    return any(_passive(claim, c) != _passive(quote, q) for c, q in chunk)


def _kind(chunk: list[tuple[_Word, _Word]]) -> str:
    """Roles trade between things of one kind: two names, two figures, two common words."""
    if all(_number(c) is not None for c, _ in chunk):
        return "figure"
    if any(_is_name(c) or _is_name(q) for c, q in chunk):
        return "name"
    return "word"


def _text(chunk: list[tuple[_Word, _Word]]) -> str:
    return " ".join(c.text for c, _ in chunk)


_ROLE_WORDS = 3  # a role is a name or a short phrase: "Ayatollah Ali Khamenei", "P"


def _key(word: _Word) -> str:
    """What a word is matched on when the two texts are aligned: its stem, a name's lower case."""
    return re.sub(r"['’]s$", "", word.lower) if _is_name(word) else word.stem


def _exchanged(
    claim_text: str, claim: list[_Word], quote_text: str, quote: list[_Word]
) -> str | None:
    """Aligned word by word (in order), the claim puts in the place of a quote phrase another
    phrase that the quote has elsewhere, while the claim has the replaced phrase elsewhere:
    two things of the text trading their roles ("the CPU implementation can accept input from
    either CPU or GPU memory" for "the GPU implementation ..."; "EXPTIME is contained in P" for
    "P is contained in EXPTIME"). Two phrases that trade places outright are a swap whatever
    their kinds ("renamed ..., then written" for "written ..., then renamed"); the same thing
    written otherwise ("$500" for "500 dollars") is no replacement, nor is a common word merely
    moved to another place in the sentence."""
    matcher = SequenceMatcher(None, [_key(w) for w in claim], [_key(w) for w in quote], False)
    opcodes = matcher.get_opcodes()
    tags_claim = [tag for tag, i1, i2, _, _ in opcodes for _ in range(i1, i2)]
    tags_quote = [tag for tag, _, _, j1, j2 in opcodes for _ in range(j1, j2)]
    replaced = [
        (
            [w for w in claim[i1:i2] if _anchor(w) and w.lower not in _RELATING],
            [w for w in quote[j1:j2] if _anchor(w) and w.lower not in _RELATING],
        )
        for tag, i1, i2, j1, j2 in opcodes
        if tag == "replace"
    ]
    for at, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        framed = all(
            not 0 <= k < len(opcodes) or opcodes[k][0] == "equal" for k in (at - 1, at + 1)
        )
        if tag != "replace" or not framed:
            continue
        put = [w for w in claim[i1:i2] if _anchor(w) and w.lower not in _RELATING]
        gone = [w for w in quote[j1:j2] if _anchor(w) and w.lower not in _RELATING]
        if not (0 < len(put) <= _ROLE_WORDS and 0 < len(gone) <= _ROLE_WORDS):
            continue
        if _covers(put, gone) or _covers(gone, put):
            continue  # the same thing written otherwise: "$500" for "500 ... dollars"
        if any(
            other and said and _covers(other, gone) and _covers(said, put)
            for other, said in replaced
            if other is not put
        ):
            return _exchange_reason(claim_text, put, quote_text, gone)
        if _role_kind(put) != _role_kind(gone):
            continue  # roles trade between things of one kind
        # Elsewhere, and there standing for something of the other text, not only moved there:
        # "takes time O(n2) for this case" claimed as "takes O(n2) time" moves "time".
        moved = _role_kind(put)[0] == "word"  # names that move change roles: "Baghdad hosted"
        elsewhere_in_quote = [
            q for q in quote[:j1] + quote[j2:] if not moved or tags_quote[q.position] != "insert"
        ]
        elsewhere_in_claim = [
            c for c in claim[:i1] + claim[i2:] if not moved or tags_claim[c.position] != "delete"
        ]
        if all(any(_same(w, q) for q in elsewhere_in_quote) for w in put) and all(
            any(_same(w, c) for c in elsewhere_in_claim) for w in gone
        ):
            return _exchange_reason(claim_text, put, quote_text, gone)
    return None


def _covers(words: list[_Word], others: list[_Word]) -> bool:
    """Every word is one of the others, in another form or the same."""
    return all(any(_same(w, o) for o in others) for w in words)


def _exchange_reason(claim_text: str, put: list[_Word], quote_text: str, gone: list[_Word]) -> str:
    said = quote_text[gone[0].offset : gone[-1].offset + len(gone[-1].text)]
    claimed = claim_text[put[0].offset : put[-1].offset + len(put[-1].text)]
    return f"the quote says “{said}” where the claim says “{claimed}”"


def _role_kind(words: list[_Word]) -> tuple[str, str]:
    """A figure, a name or a common word, and the ending of its last word (a noun is not traded
    for a verb: "signed" for "meeting" is a rewording)."""
    last = words[-1]
    if all(_number(w) is not None for w in words):
        return "figure", ""
    name = any(_is_name(w) or w.lower in _MONTHS for w in words)
    return ("name" if name else "word"), _shape(last)[1]
