"""The first stage of the flow: a document's text and its heading structure, as typed objects."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel

from indexer.analysis import DEFAULT_ANALYZER, Heading, TextAnalyzer, trim_span

INTRODUCTION = "Introduction"
SECTION_SEPARATOR = " > "


class Section(BaseModel, frozen=True):
    """A run of body text under one heading; `path` joins the headings above it."""

    path: str
    level: int
    heading_start: int  # offset of the heading line (== start for the introduction)
    start: int  # body text, [start, end) in the document text
    end: int


class Page(BaseModel, frozen=True):
    """Where one page of the original file (a PDF) lies in the document text."""

    page: int  # 1-based, as a reader counts them
    start: int
    end: int


class Document(BaseModel, frozen=True):
    id: str
    title: str
    kind: str
    source: str  # the original file the text was read or converted from
    text: str  # every offset in the system points into this string
    sections: tuple[Section, ...]
    pages: tuple[Page, ...] = ()  # for paged formats (PDF): the page of any offset

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        raise ValueError(f"offset {offset} of {self.id} lies outside every section")


def title_from_headings(headings: list[Heading]) -> str | None:
    """The document's title: its first heading, when that is a top level, unnumbered one."""
    if (
        headings
        and not headings[0].numbered
        and headings[0].level == min(h.level for h in headings)
    ):
        return headings[0].title
    return None


def parse_sections(text: str, analyzer: TextAnalyzer = DEFAULT_ANALYZER) -> tuple[Section, ...]:
    """Split `text` into sections at its headings; a leading top level heading is the title.

    Sections whose body is only white space are left out: they have nothing to cite.
    """
    headings = analyzer.headings(text)
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
        start, end = trim_span(text, body_start, body_end)
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
