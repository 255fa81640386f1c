"""Text analysis, used at every stage from corpus loading to the query: the one place that knows
how a document's text is structured (headings), where its sentences are, what of it is markup
(cleaned for display and embedding, while offsets keep pointing into the original text),
which terms it holds (tokens, stop words, stemming), and what a question asks for and where a
text holds it (quantities, years and dates, names).

The loader finds sections with `headings`; the chunker takes sentences from `sentences` and
what it embeds from `display`; BM25, answering and the query use `terms`; answering reads the
question with `asked_for` and `names` and the sentences with `holds` and `date_spans`. The
analyser's name and version are recorded in the index manifest, and an index made by another
version is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Protocol

import pysbd
import Stemmer

__all__ = [
    "ANALYZERS",
    "DEFAULT_ANALYZER",
    "MONTHS",
    "STOPWORDS",
    "AnalyzerInfo",
    "AnswerType",
    "Asked",
    "DefaultAnalyzer",
    "Heading",
    "TextAnalyzer",
    "analyzer_for",
    "asked_for",
    "expected_answer_type",
    "has_quantity",
    "holds",
    "name_terms",
    "negated",
    "numeral_spans",
    "terms",
    "trim_span",
    "years",
]


@dataclass(frozen=True)
class Heading:
    level: int  # 1 is the top; styles without a level of their own are ranked by first use
    title: str
    start: int  # offset of the heading's first line (its overline, for an RST over-and-under)
    end: int  # offset just past its last line and newline
    numbered: bool = False  # "3. Definitions": a section heading, never the document's title


@dataclass(frozen=True)
class AnalyzerInfo:
    """What the index manifest records about the analyser that built it."""

    name: str
    version: int


# What a question asks for: a number and a date are what a sentence must hold to answer it
# (`AnswerType`); a name, a place or a thing only shape the short answer.
AnswerType = Literal["number", "date"]
Asked = Literal["number", "date", "name", "place", "thing"]


class TextAnalyzer(Protocol):
    """Structure, sentences, display text and terms of a document's text."""

    @property
    def info(self) -> AnalyzerInfo: ...

    def headings(self, text: str) -> list[Heading]:
        """Every heading line of `text`, in order, outside code."""
        ...

    def sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """[start, end) spans of the sentences of text[start:end] (one section body)."""
        ...

    def display(self, text: str) -> str:
        """`text` without its markup, on one line: what is shown in answers and embedded."""
        ...

    def terms(self, text: str) -> list[str]:
        """Lower-cased, stemmed content terms of `text`, stop words dropped, in order."""
        ...

    def asked_for(self, question: str) -> Asked | None:
        """The kind of answer a fact question asks for; None for why/how/yes-no questions."""
        ...

    def holds(self, answer_type: AnswerType, text: str) -> bool:
        """Whether `text` holds an answer of that type: a quantity, or a date."""
        ...

    def names(self, text: str) -> list[tuple[int, int]]:
        """[start, end) spans of the names of `text`: runs of capitalised words, not its first
        word nor a sentence's."""
        ...

    def date_spans(self, text: str) -> list[tuple[int, int]]:
        """[start, end) spans of the dates of `text`: "4 July 1776", "March 2003", "the 1980s"."""
        ...

    def numerals(self, text: str) -> list[str]:
        """The numerals of `text`, without thousands separators ("1,458" -> "1458")."""
        ...


# Numbers keep their inner separators ("1,458" -> "1458", "2.5"); words are runs of letters/digits.
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|cannot|without)\b|n[’']t\b", re.I)
_TOKEN = re.compile(rf"{_NUMERAL.pattern}|[^\W_]+")
# Lucene's English list plus the words questions are made of: they say nothing about the topic.
STOPWORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then
    there these they this to was will with what when where which who whom whose why how did does
    do done were been being has have had can could would should shall may might must about
    tell me my i you your we our us its his her him she he them than also any some all so very
    much many more most other both each few own same too just over under between after before
    during since until while from up down out off again further once here s t""".split()  # noqa: SIM905
)

# `= Title =`, `== Section ==` (MediaWiki) and `# Title`, `## Section` (Markdown ATX).
_WIKI_HEADING = re.compile(r"^(={1,6})\s*([^\s=].*?)\s*\1\s*$")
_ATX_HEADING = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$")
# "3. Definitions", "3.1 Scope", "IV. Remedies": a short numbered line standing alone.
_NUMBERED_HEADING = re.compile(r"^((?:\d{1,3}|[IVXLC]{1,6})(?:\.\d{1,3})*)(\.?)\s+([A-Z].*)$")
_NUMBERED_MAX_CHARS = 80
# A setext / reStructuredText underline (or overline): one punctuation character, repeated.
_UNDERLINE = re.compile(r"^([=\-~^\"'`*+#:._])\1{2,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Lines that start a block of their own: a break before them is never a soft wrap.
_BULLET = re.compile(r"^\s*[-*+•‣◦]\s+")
_ORDERED = re.compile(r"^\s*(?:\d{1,3}|[a-zA-Z])[.)]\s+|^\s*\(\w{1,4}\)\s+")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_QUOTE = re.compile(r"^\s*>\s?")
# The mark a sentence ends with, and the brackets and quotes that close it.
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
# Closing brackets and quotes the segmenter may put at the start of the next sentence.
_CLOSERS = re.compile(r"^[)\]}\"'”’»]+(?=\s|$)")
_END_OF_SENTENCE = re.compile(r"[.!?…:;][\"'”’)\]]*\s*$")
# A block whose lines are all this short (characters) was wrapped by hand or by a tool.
WRAP_WIDTH = 100
_SHORT_LINE = 0.6  # a line ending a sentence below this share of the block's width ends a paragraph

# Inline Markdown, cleaned for display: links, images, code, emphasis.
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_CODE = re.compile(r"`+([^`]+?)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?!\w)|(?<!\w)_(?=\S)([^_]+?)(?<=\S)_(?!\w)"
)
_SPACES = re.compile(r"\s+")


@lru_cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


@lru_cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@dataclass(frozen=True)
class _Line:
    text: str  # without its newline
    start: int  # offset in the document text

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def _lines(text: str, start: int = 0, end: int | None = None) -> list[_Line]:
    lines = []
    offset = start
    for raw in text[start:end].split("\n"):
        lines.append(_Line(raw, offset))
        offset += len(raw) + 1
    return lines


def _starts_block(line: str) -> bool:
    return bool(
        _BULLET.match(line)
        or _ORDERED.match(line)
        or _TABLE_ROW.match(line)
        or _QUOTE.match(line)
        or _FENCE.match(line)
        or _UNDERLINE.match(line)
        or _WIKI_HEADING.match(line)
        or _ATX_HEADING.match(line)
    )


class DefaultAnalyzer:
    """English text, plain or lightly marked up (Markdown, MediaWiki, reStructuredText)."""

    info = AnalyzerInfo(name="default-en", version=2)

    # ----- structure -------------------------------------------------------------------------

    def headings(self, text: str) -> list[Heading]:
        lines = _lines(text)
        code = self._code_lines(lines)
        underline_levels: dict[str, int] = {}
        numbered: list[tuple[int, Heading]] = []  # (line index, heading)
        found: list[Heading] = []
        skip_to = -1
        for i, line in enumerate(lines):
            if i <= skip_to or i in code or line.blank:
                continue
            stripped = line.text.strip()
            match = _WIKI_HEADING.match(stripped) or _ATX_HEADING.match(stripped)
            if match:
                found.append(Heading(len(match.group(1)), match.group(2), line.start, _after(line)))
                continue
            underlined = self._underlined(lines, i, code, underline_levels)
            if underlined is not None:
                heading, skip_to = underlined
                found.append(heading)
                continue
            candidate = self._numbered(lines, i)
            if candidate is not None:
                numbered.append((i, candidate))
        found += self._standalone(numbered, lines)
        title = self._plain_title(lines, code)
        if title is not None and not any(h.start == title.start for h in found):
            found.append(title)
        # A title is shown as text: "Integrating `GroupedMetadata`" without its backticks.
        shown = [replace(h, title=_display(h.title) or h.title) for h in found]
        return sorted(shown, key=lambda h: h.start)

    @staticmethod
    def _plain_title(lines: list[_Line], code: set[int]) -> Heading | None:
        """A text's first line, when it stands alone and reads as a title, not a sentence.

        What a PDF or a plain text file without markup starts with: "Annual Report 2023".
        """
        first = next((i for i, line in enumerate(lines) if not line.blank), None)
        if first is None or first in code:
            return None
        line = lines[first]
        stripped = line.text.strip()
        if (
            len(stripped) > _NUMBERED_MAX_CHARS
            or _END_OF_SENTENCE.search(stripped)
            or _starts_block(line.text)
            or (first + 1 < len(lines) and not lines[first + 1].blank)
        ):
            return None
        return Heading(1, stripped, line.start, _after(line))

    @staticmethod
    def _code_lines(lines: list[_Line]) -> set[int]:
        """Indices of the lines of fenced code blocks, fences included."""
        code: set[int] = set()
        inside = False
        for i, line in enumerate(lines):
            underline = (
                not inside and i > 0 and not lines[i - 1].blank and set(line.text.strip()) == {"~"}
            )  # a reStructuredText `~~~~` under a title, not a fence
            if _FENCE.match(line.text) and not underline:
                code.add(i)
                inside = not inside
            elif inside:
                code.add(i)
        return code

    @staticmethod
    def _underlined(
        lines: list[_Line], i: int, code: set[int], levels: dict[str, int]
    ) -> tuple[Heading, int] | None:
        """A setext or reStructuredText heading starting at line i, and its last line index.

        The title must be a single line standing alone (a blank line or an overline before it),
        and an underline alone (`=====` after a blank line) is never a heading.
        """
        title = lines[i].text.strip()
        if _UNDERLINE.match(title) and i + 2 < len(lines):  # an overline: RST over-and-under
            inner, under = lines[i + 1], lines[i + 2]
            if (
                not inner.blank
                and under.text.strip() == title
                and len(title) >= len(inner.text.strip())
                and i + 2 not in code
            ):
                key = f"over{title[0]}"
                level = levels.setdefault(key, len(levels) + 1)
                return Heading(level, inner.text.strip(), lines[i].start, _after(under)), i + 2
            return None
        if i + 1 >= len(lines) or i + 1 in code or _starts_block(lines[i].text):
            return None
        underline = lines[i + 1].text.strip()
        if not _UNDERLINE.match(underline) or (i > 0 and not lines[i - 1].blank):
            return None
        if underline[0] not in "=-" and len(underline) < len(title):  # RST: at least as long
            return None
        level = levels.setdefault(underline[0], len(levels) + 1)
        return Heading(level, title, lines[i].start, _after(lines[i + 1])), i + 1

    @staticmethod
    def _numbered(lines: list[_Line], i: int) -> Heading | None:
        """A numbered heading candidate: a short numbered line between blank lines."""
        line = lines[i]
        stripped = line.text.strip()
        match = _NUMBERED_HEADING.match(stripped)
        if (
            match is None
            or line.text != line.text.lstrip()
            or len(stripped) > _NUMBERED_MAX_CHARS
            or _END_OF_SENTENCE.search(stripped)
            or stripped.endswith(",")
            or (i > 0 and not lines[i - 1].blank)
            or (i + 1 < len(lines) and not lines[i + 1].blank)
        ):
            return None
        number, title = match.group(1), match.group(3)
        if "." not in number and not match.group(2):  # "12 Angry Men": a bare number is a word
            return None
        depth = number.count(".") + 1
        return Heading(
            depth + 1, f"{number}{match.group(2)} {title}", line.start, _after(line), True
        )

    @staticmethod
    def _standalone(numbered: list[tuple[int, Heading]], lines: list[_Line]) -> list[Heading]:
        """Numbered candidates that head some text: a run of them with nothing between is a list."""
        kept = []
        for k, (i, heading) in enumerate(numbered):
            neighbours = []
            if k > 0:
                neighbours.append(numbered[k - 1])
            if k + 1 < len(numbered):
                neighbours.append(numbered[k + 1])
            listed = any(
                other.level == heading.level and _only_blank_between(lines, i, j)
                for j, other in neighbours
            )
            if not listed:
                kept.append(heading)
        return kept

    # ----- sentences -------------------------------------------------------------------------

    def sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for unit_start, unit_end in self._units(text, start, end):
            spans += self._split_unit(text, unit_start, unit_end)
        return spans

    def _units(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Spans that sentences never cross: paragraphs (unwrapped), list items, table rows."""
        lines = _lines(text, start, end)
        code = self._code_lines(lines)
        units: list[tuple[int, int]] = []
        block: list[_Line] = []
        for i, line in enumerate([*lines, _Line("", end)]):
            if line.blank or i in code or _UNDERLINE.match(line.text.strip()):
                units += self._block_units(block)
                block = []
                continue
            if "|" in line.text and _TABLE_RULE.match(line.text):
                units += self._block_units(block)
                block = []
                continue
            block.append(line)
        return units

    @staticmethod
    def _block_units(block: list[_Line]) -> list[tuple[int, int]]:
        if not block:
            return []
        width = max(len(line.text.rstrip()) for line in block)
        wrapped = len(block) > 1 and width <= WRAP_WIDTH
        units: list[tuple[int, int]] = []
        current = block[0]
        unit_start = current.start
        for following in block[1:]:
            if not _soft_break(current.text, following.text, wrapped, width):
                units.append((unit_start, current.end))
                unit_start = following.start
            current = following
        units.append((unit_start, current.end))
        return units

    @staticmethod
    def _split_unit(text: str, start: int, end: int) -> list[tuple[int, int]]:
        body = text[start:end]
        if _TABLE_ROW.match(body):
            return [trim_span(text, start, end)] if _display(body) else []
        # The segmenter reads the unit with its white space collapsed ("brackets!)  The" ends a
        # sentence only as "brackets!) The"); `where` maps its offsets back into `body`.
        flat, where = _collapsed(body)
        code = [(m.start(), m.end()) for m in _CODE.finditer(flat)]
        spans: list[tuple[int, int]] = []
        cursor = 0
        for piece in _segmenter().segment(flat):
            sentence = piece.strip()
            found = flat.find(sentence, cursor) if sentence else -1
            if found < 0:  # the segmenter altered the text: keep the rest whole
                rest = flat[cursor:].strip()
                if rest:
                    found = flat.index(rest, cursor)
                    spans.append((found, found + len(rest)))
                break
            closing = _CLOSERS.match(sentence)
            if spans and closing:  # "brackets!" + ") The ...": the bracket closes the one before
                spans[-1] = (spans[-1][0], found + closing.end())
                rest = sentence[closing.end() :]
                sentence = rest.lstrip()
                found += closing.end() + len(rest) - len(sentence)
                if not sentence:
                    cursor = spans[-1][1]
                    continue
            if spans and _goes_on(flat, spans[-1][1], found, code):
                spans[-1] = (spans[-1][0], found + len(sentence))
            else:
                spans.append((found, found + len(sentence)))
            cursor = found + len(sentence)
        kept = [(where[s], where[e - 1] + 1) for s, e in spans]
        return [(start + s, start + e) for s, e in kept if _display(body[s:e])]

    # ----- display and terms -----------------------------------------------------------------

    def display(self, text: str) -> str:
        return _display(text)

    def terms(self, text: str) -> list[str]:
        words = [m.group().replace(",", "") for m in _TOKEN.finditer(text.lower())]
        kept = [w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
        return list(_stemmer().stemWords(kept))

    # ----- questions and what answers them ----------------------------------------------------

    def asked_for(self, question: str) -> Asked | None:
        if _ASKS_NUMBER.search(question):
            return "number"
        if _ASKS_DATE.search(question):
            return "date"
        if _ASKS_NAME.search(question):
            return "name"
        if _ASKS_PLACE.search(question):
            return "place"
        if _ASKS_THING.search(question) and not _ASKS_DEFINITION.match(question):
            return "thing"
        return None

    def holds(self, answer_type: AnswerType, text: str) -> bool:
        if answer_type == "number":
            return _has_quantity(text)
        return bool(_DATE.search(text)) or next(_years(text), None) is not None

    def names(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _NAME.finditer(text)]

    def date_spans(self, text: str) -> list[tuple[int, int]]:
        years = {(m.start(), m.end()) for m in _years(text)}
        return [
            m.span()
            for m in _DATE_SPAN.finditer(text)
            if not _YEAR_ONLY.fullmatch(m.group()) or m.span() in years
        ]

    def numerals(self, text: str) -> list[str]:
        return [match.group().replace(",", "") for match in _NUMERAL.finditer(text)]


def _after(line: _Line) -> int:
    """The offset just past a line and its newline."""
    return line.end + 1


def _only_blank_between(lines: list[_Line], i: int, j: int) -> bool:
    low, high = sorted((i, j))
    return all(line.blank for line in lines[low + 1 : high])


def _soft_break(line: str, following: str, wrapped: bool, width: int) -> bool:
    """Whether the line break between two lines of one block is only a wrap inside a sentence."""
    if _starts_block(following) or _TABLE_ROW.match(line) or _ATX_HEADING.match(line.strip()):
        return False
    ends_sentence = bool(_END_OF_SENTENCE.search(line))
    if not ends_sentence and following.lstrip()[:1].islower():
        return True  # the sentence plainly goes on
    return wrapped and not (ends_sentence and len(line.rstrip()) < _SHORT_LINE * width)


def _collapsed(body: str) -> tuple[str, list[int]]:
    """`body` with each run of white space made one space, and where each character came from."""
    pieces: list[str] = []
    where: list[int] = []
    done = 0
    for run in _SPACES.finditer(body):
        pieces += [body[done : run.start()], " "]
        where += [*range(done, run.start()), run.start()]
        done = run.end()
    pieces.append(body[done:])
    where += range(done, len(body))
    return "".join(pieces), where


def _goes_on(flat: str, previous_end: int, start: int, code: list[tuple[int, int]]) -> bool:
    """Whether a segmenter's break between `previous_end` and `start` is inside a sentence.

    A sentence ends at its mark: the segmenter also breaks before what looks like a list item
    ("we provide MinLen(x) and MaxLen(y)" after "MinLen"). A mark inside a word
    ("display:none!important", 're.compile("x").search') or inside a code span
    (`` `os.path. Join` ``) never ends a sentence.
    """
    if not _TERMINAL.search(flat, 0, previous_end):
        return True
    if start == previous_end and flat[start : start + 1].islower():
        return True
    return any(a < previous_end and start < b for a, b in code)


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without the white space at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _display_line(line: str) -> str:
    stripped = line.strip()
    if _FENCE.match(stripped) or _UNDERLINE.match(stripped) or _TABLE_RULE.match(stripped):
        return ""
    if _TABLE_ROW.match(stripped):
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        return "; ".join(cell for cell in cells if cell)
    stripped = _QUOTE.sub("", stripped)
    stripped = _BULLET.sub("", stripped)
    heading = _ATX_HEADING.match(stripped) or _WIKI_HEADING.match(stripped)
    return heading.group(2) if heading else stripped


def _display(text: str) -> str:
    lines = [_display_line(line) for line in text.split("\n")]
    flat = " ".join(line for line in lines if line)
    flat = _IMAGE.sub(r"\1", flat)
    flat = _LINK.sub(r"\1", flat)
    flat = _AUTOLINK.sub(r"\1", flat)
    flat = _CODE.sub(r"\1", flat)
    flat = _STRONG.sub(r"\2", flat)
    flat = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), flat)
    return _SPACES.sub(" ", flat).strip()


# ----- question patterns ---------------------------------------------------------------------

_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|short|large|big|small|far|old|tall|high|wide|deep|heavy|often)|"
    r"what (share|percentage|proportion|number|"
    r"amount|value|size|sum)|(number|percentage|share|value|amount|cost|size) of)\b",
    re.IGNORECASE,
)
# "When did...", "since when", "in what year": not "what happened when fires broke out", and
# not "when is the index stale?" either: a present-tense "when" asks for a condition as often
# as for a date.
_ASKS_DATE = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?when\b(?!\s+(?:is|are|does|do|can|could|should|will|would|"
    r"must|may|might|shall)\b)|\b(?:since|until|till) when\b|"
    r"\b(?:what|which) (?:year|date|month|decade|century|time)\b|\bdate of\b",
    re.IGNORECASE,
)
# The others are read from the question's first words (after "and", "so", "but").
_ASKS_NAME = re.compile(r"^\W*(?:(?:and|but|so)\s+)?(?:who|whom|whose)\b", re.IGNORECASE)
_ASKS_PLACE = re.compile(r"^\W*(?:(?:and|but|so)\s+)?where\b", re.IGNORECASE)
_ASKS_THING = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?(?:what|which)\b|\b(?:what|which)\W*$"
    r"|\b(?:what|which) \w+ (?:is|was|are|were|did|does)\b"
    r"|^\W*(?:in|on|at|by|from|to|for|of|with) (?:what|which)\b|^\W*name\b"
    r"|\b(?:of|as|is|are|was|were|by|in|on|to|for) (?:what|which)\b",
    re.IGNORECASE,
)
# "What is X?" asks for a definition (a whole sentence), not a phrase.
_ASKS_DEFINITION = re.compile(
    r"^\W*what (?:is|are|was|were) (?:a |an |the )?[\w-]+(?: [\w-]+)?\W*$", re.IGNORECASE
)

MONTHS = (  # noqa: SIM905
    "January February March April May June July August September October November December"
).split()
MONTH = "(?:" + "|".join(MONTHS) + ")"
# Dates other than a bare year, which `_years` reads in its context.
_DATE = re.compile(
    rf"\b{MONTH}\b|\b\d{{1,4}} ?(?:BC|BCE|AD|CE)\b|\b\d{{1,2}}(?:st|nd|rd|th) century\b"
)
_DATE_SPAN = re.compile(
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)? )?{MONTH}(?: \d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,? \d{{3,4}}\b)?"
    r"|\b\d{1,4} ?(?:BC|BCE|AD|CE)\b|\b\d{1,2}(?:st|nd|rd|th) century\b|\b(?:1[0-9]|20)[0-9]{2}s?\b"
)
_YEAR_ONLY = re.compile(r"(?:1[0-9]|20)[0-9]{2}s?")
_YEAR_LIKE = re.compile(r"(?<![\d.,])\b(?:1[0-9]|20)[0-9]{2}(s)?\b(?![.,]\d)")
_ORDINAL = re.compile(r"st|nd|rd|th\b")
_DAY_BEFORE_MONTH = re.compile(rf"\d{{1,2}}(?:st|nd|rd|th)? {MONTH}")
_MONTH_BEFORE_DAY = re.compile(rf"{MONTH} $")
# A capitalised word not at the start of the text nor of a sentence, and the capitalised words
# right after it: "the Ministry of Interior" gives "Ministry", "Interior".
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_NUMBER_WORD = re.compile(
    r"(?<!\bno )\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|half|third|quarter)\b",
    re.IGNORECASE,
)
_PARTS = frozenset({"half", "third", "quarter"})  # quantities only as "a third of ..."
_MULTIPLES = frozenset(
    {"hundreds", "thousands", "millions", "billions", "dozens", "hundred", "thousand", "million"}
)
_OF = re.compile(r"\s+of\b", re.IGNORECASE)
# The word after a number, when it is a lower-case word (hyphens allowed): "1500 soldiers".
_NEXT_WORD = re.compile(r"(?:\s+|-)([a-z][a-z-]*)\b")
# After a number word but "one", a name counts too: "three Swedes", "a million Christians"
# (not "the one Iraq wants", nor after a year-like numeral: "in 1990 Iraq").
_NEXT_NAME = re.compile(r"(?:\s+|-)([A-Za-z][a-z-]*)\b")
# Words that follow a number without being what it counts: "in 1990 against", "one of them".
_NOT_COUNTED = STOPWORDS | frozenset(
    """against among amid around across along through toward towards upon within without
    because although though whereas unless as onwards onward ago later earlier already alone
    another such""".split()  # noqa: SIM905
)
# What a year-like numeral counts without a plural "s": "1500 km", "2000 people".
_UNITS = frozenset(
    """people men women children staff personnel police cattle sheep deer fish livestock
    km kg g mg mm cm m ha mi ft lb lbs oz mph kph kw mw gw kwh mwh gwh gb mb kb tb""".split()  # noqa: SIM905
)
# Endings of words in -s that are not plurals: "grass", "census", "crisis".
_NOT_PLURAL = ("ss", "us", "is")


def _counts(text: str, end: int, next_word: re.Pattern[str] = _NEXT_WORD) -> bool:
    """Whether the word after position `end` is something counted: a content word, not "of"."""
    following = next_word.match(text, end)
    return following is not None and following.group(1).lower() not in _NOT_COUNTED


def _counts_many(text: str, end: int) -> bool:
    """Whether a year-like numeral ending at `end` counts the word after it: a plural or a unit
    ("1500 soldiers", "2000 km"); a singular word makes it a year ("the 2003 invasion")."""
    following = _NEXT_WORD.match(text, end)
    if following is None or not _counts(text, end):
        return False
    word = following.group(1).lower().split("-")[0]
    return (word.endswith("s") and not word.endswith(_NOT_PLURAL)) or word in _UNITS


def _years(text: str) -> Iterator[re.Match[str]]:
    """The year-like numerals of `text` that are years, not quantities ("1500 soldiers")."""
    for match in _YEAR_LIKE.finditer(text):
        if match.group(1) or not _counts_many(text, match.end()):
            yield match


def _has_quantity(text: str) -> bool:
    """A number that is not a year, an ordinal or the day of a date, or a number word that
    counts something ("three ministers", "thousands of", not "one of them")."""
    years = {match.start() for match in _years(text)}
    for numeral in _NUMERAL.finditer(text):
        if (
            numeral.start() in years
            or _ORDINAL.match(text, numeral.end())
            or _DAY_BEFORE_MONTH.match(text, numeral.start())
            or _MONTH_BEFORE_DAY.search(text, 0, numeral.start())
        ):
            continue
        return True
    for word in _NUMBER_WORD.finditer(text):
        if word.group().lower() in _PARTS:
            if _OF.match(text, word.end()):
                return True
        elif _counts(
            text, word.end(), _NEXT_WORD if word.group().lower() == "one" else _NEXT_NAME
        ) or (word.group().lower() in _MULTIPLES and _OF.match(text, word.end())):
            return True
    return False


DEFAULT_ANALYZER = DefaultAnalyzer()
ANALYZERS: dict[str, TextAnalyzer] = {DEFAULT_ANALYZER.info.name: DEFAULT_ANALYZER}


def analyzer_for(info: AnalyzerInfo) -> TextAnalyzer:
    """The analyser an index was built with; `LookupError` says why it is not available."""
    analyzer = ANALYZERS.get(info.name)
    if analyzer is None:
        raise LookupError(
            f"the text analyser {info.name!r} is not part of this version (known: "
            f"{', '.join(sorted(ANALYZERS))})"
        )
    if analyzer.info.version != info.version:
        raise LookupError(
            f"the text analyser {info.name!r} is at version {analyzer.info.version}, not "
            f"{info.version}"
        )
    return analyzer


def terms(text: str) -> list[str]:
    """The default analyser's terms of `text` (see `TextAnalyzer.terms`)."""
    return DEFAULT_ANALYZER.terms(text)


def expected_answer_type(question: str) -> AnswerType | None:
    """The default analyser's answer type: what a sentence must hold to answer `question`."""
    asked = DEFAULT_ANALYZER.asked_for(question)
    return asked if asked == "number" or asked == "date" else None


def asked_for(question: str) -> Asked | None:
    """The default analyser's `asked_for`."""
    return DEFAULT_ANALYZER.asked_for(question)


def holds(answer_type: AnswerType | None, text: str) -> bool:
    """Whether `text` holds an answer of `answer_type` (anything does, without a type)."""
    return answer_type is None or DEFAULT_ANALYZER.holds(answer_type, text)


def has_quantity(text: str) -> bool:
    """A number or number word in `text` that counts something, not a year or a date's day."""
    return DEFAULT_ANALYZER.holds("number", text)


def years(text: str) -> list[tuple[int, int]]:
    """The spans of the years in `text` ("1990", "the 1980s"), not year-like quantities
    ("1500 soldiers")."""
    return [match.span() for match in _years(text)]


def numeral_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the numerals in `text` ("12", "1,458", "3.5"), years among them."""
    return [match.span() for match in _NUMERAL.finditer(text)]


def negated(text: str) -> bool:
    """Whether `text` has a negation ("not", "never", "no", "without", "-n't")."""
    return _NEGATION.search(text) is not None


def name_terms(text: str) -> set[str]:
    """The terms of the names in `text`: what a question asks about."""
    return {t for start, end in DEFAULT_ANALYZER.names(text) for t in terms(text[start:end])}
