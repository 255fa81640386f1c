"""Text analysis, used at every stage from corpus loading to the query: the one place that knows
how a document's text is structured (headings), where its sentences are, what of it is markup
(cleaned for display and embedding, while offsets keep pointing into the original text), and
which terms it holds (tokens, stop words, stemming).

The loader finds sections with `headings`; the chunker takes sentences from `sentences` and
what it embeds from `display`; BM25, answering and the query use `terms`. The analyser's name
and version are recorded in the index manifest, and an index made by another version is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import pysbd
import Stemmer

__all__ = [
    "ANALYZERS",
    "DEFAULT_ANALYZER",
    "STOPWORDS",
    "AnalyzerInfo",
    "DefaultAnalyzer",
    "Heading",
    "TextAnalyzer",
    "analyzer_for",
    "terms",
    "trim_span",
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


# Numbers keep their inner separators ("1,458" -> "1458", "2.5"); words are runs of letters/digits.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+")
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
        return sorted(found, key=lambda h: h.start)

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
    chars: list[str] = []
    where: list[int] = []
    for i, char in enumerate(body):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        where.append(i)
    return "".join(chars), where


def _goes_on(flat: str, previous_end: int, start: int, code: list[tuple[int, int]]) -> bool:
    """Whether a segmenter's break between `previous_end` and `start` is inside a sentence.

    A mark inside a word ("display:none!important", 're.compile("x").search') or inside a code
    span (`` `os.path. Join` ``) never ends a sentence.
    """
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
