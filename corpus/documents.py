"""The first stage of the flow: a document's text and its heading structure, as typed objects."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pydantic import BaseModel

INTRODUCTION = "Introduction"
SECTION_SEPARATOR = " > "

# `= Title =`, `== Section ==`, `==Section==` (MediaWiki) and `# Title`, `## Section` (Markdown).
_WIKI_HEADING = re.compile(r"^(={1,6})\s*(\S.*?)\s*\1\s*$")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class Section(BaseModel, frozen=True):
    """A run of body text under one heading; `path` joins the headings above it."""

    path: str
    level: int
    heading_start: int  # offset of the heading line (== start for the introduction)
    start: int  # body text, [start, end) in the document text
    end: int


class Document(BaseModel, frozen=True):
    id: str
    title: str
    kind: str
    source: str  # the file the text was read from
    text: str  # every offset in the system points into this string
    sections: tuple[Section, ...]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        raise ValueError(f"offset {offset} of {self.id} lies outside every section")


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    start: int  # offset of the heading line
    end: int  # offset just past the line and its newline


def find_headings(text: str) -> list[Heading]:
    """Every MediaWiki or Markdown heading line, outside Markdown code fences."""
    headings: list[Heading] = []
    offset = 0
    in_fence = False
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if _FENCE.match(stripped):
            in_fence = not in_fence
        elif not in_fence:
            match = _WIKI_HEADING.match(stripped) or _MARKDOWN_HEADING.match(stripped)
            if match:
                headings.append(
                    Heading(len(match.group(1)), match.group(2), offset, offset + len(line))
                )
        offset += len(line)
    return headings


def title_from_headings(headings: list[Heading]) -> str | None:
    """The document's title: its first heading, when that heading is the top level one."""
    if headings and headings[0].level == min(h.level for h in headings):
        return headings[0].title
    return None


def parse_sections(text: str) -> tuple[Section, ...]:
    """Split `text` into sections at its headings; a leading top level heading is the title.

    Sections whose body is only white space are left out: they have nothing to cite.
    """
    headings = find_headings(text)
    title_level = 0
    body_start = 0
    if title_from_headings(headings) is not None and headings[0].start == _first_content(text):
        title_level = headings[0].level
        body_start = headings[0].end
        headings = headings[1:]

    sections: list[Section] = []
    stack: list[Heading] = []
    current: Heading | None = None
    for heading in [*headings, None]:
        body_end = heading.start if heading else len(text)
        path = SECTION_SEPARATOR.join(h.title for h in stack) if stack else INTRODUCTION
        start, end = _trim(text, body_start, body_end)
        if start < end:
            sections.append(
                Section(
                    path=path,
                    level=current.level if current else title_level + 1,
                    heading_start=current.start if current else start,
                    start=start,
                    end=end,
                )
            )
        if heading is None:
            break
        if heading.level <= title_level:  # a second title-level heading starts a new top part
            stack = []
        stack = [h for h in stack if h.level < heading.level] + [heading]
        current = heading
        body_start = heading.end
    return tuple(sections)


def _first_content(text: str) -> int:
    return len(text) - len(text.lstrip())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
