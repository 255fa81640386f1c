"""`.html` files: the main content (not navigation, headers, footers or scripts) as text.

Headings become `#` lines, list items `- ` lines, table rows `| a | b |` lines, paragraphs and
other blocks are separated by a blank line; the analyser then reads sections from the headings.
When the page has a `<main>` or `<article>`, only that is kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from corpus.formats.base import ConversionError, Converted, join_blocks

_SKIPPED = frozenset(
    [
        "nav",
        "header",
        "footer",
        "aside",
        "script",
        "style",
        "noscript",
        "template",
        "form",
        "button",
        "svg",
        "select",
        "iframe",
        "canvas",
        "head",
    ]
)
_SKIPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_MAIN = frozenset({"main", "article"})
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "pre",
        "blockquote",
        "dt",
        "dd",
        "figcaption",
        "caption",
        "br",
        "table",
        "ul",
        "ol",
        "dl",
        "hr",
        "body",
        "main",
        "article",
    ]
)
_VOID = frozenset(
    [
        "br",
        "hr",
        "img",
        "input",
        "meta",
        "link",
        "area",
        "base",
        "col",
        "embed",
        "source",
        "track",
        "wbr",
    ]
)
_SPACES = re.compile(r"\s+")
# Hidden by an inline style, and footnote references (Wikipedia's `<sup class="reference">`,
# `role="doc-noteref"`): a "[1]" glued to a word is not text.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_NOTE_CLASS = re.compile(r"\b(?:reference|footnote-ref|noteref|footnote)\b", re.IGNORECASE)
_NOTE_ROLES = frozenset({"doc-noteref", "doc-footnote", "doc-endnotes"})
_BREAK = "\x00"  # a <br> inside a block, until the block is flushed


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # the whole page's blocks
        self.main_blocks: list[str] = []  # the blocks inside <main>/<article>
        self.title = ""
        self._stack: list[str] = []
        self._skipping = 0  # depth inside skipped elements
        self._main = 0  # depth inside <main>/<article>
        self._in_title = False
        self._pre = 0
        self._line: list[str] = []
        self._prefix = ""
        self._cells: list[str] | None = None
        self._tables = 0  # depth of nested tables: only the outermost one makes rows

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "title":
            self._in_title = True
        if tag in _VOID:
            if tag == "br":
                self._text("\n" if self._pre else " " if self._cells is not None else _BREAK)
            return
        self._stack.append(tag)
        if self._skipping or tag in _SKIPPED or _hidden(tag, attributes):
            self._skipping += 1
            return
        if tag in _MAIN:
            self._main += 1
        if tag == "table":
            self._tables += 1
        if self._tables > 1 and tag in {"table", "tr", "td", "th"}:
            self._text(" ")  # a table inside a cell is read as that cell's text
            return
        if tag in _BLOCKS:
            self._flush()
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            self._prefix = "- "
        elif tag == "pre":
            self._pre += 1
        elif tag == "tr":
            self._cells = []
        elif tag in {"td", "th"} and self._cells is not None:
            self._line = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _VOID or tag not in self._stack:
            return
        while self._stack:  # close anything left open inside it
            closed = self._stack.pop()
            if self._skipping:
                self._skipping -= 1
                if closed == tag:
                    return
                continue
            self._close(closed)
            if closed == tag:
                return

    def _close(self, tag: str) -> None:
        if tag == "table":
            self._tables -= 1
        if (tag in {"tr", "td", "th"} and self._tables > 1) or (tag == "table" and self._tables):
            self._text(" ")  # the end of a table inside a cell, or of one of its cells
            return
        if tag in {"td", "th"} and self._cells is not None:
            self._cells.append(_SPACES.sub(" ", "".join(self._line)).strip())
            self._line = []
            return
        if tag == "tr" and self._cells is not None:
            cells, self._cells = self._cells, None
            if any(cells):
                self._emit("| " + " | ".join(cells) + " |")
            return
        if tag in _BLOCKS:
            self._flush()
        if tag == "pre":
            self._pre -= 1
        if tag in _MAIN:
            self._main -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skipping and self._stack:
            self._text(data)

    def _text(self, data: str) -> None:
        self._line.append(data)

    def _flush(self) -> None:
        if self._cells is not None:
            return
        raw = "".join(self._line)
        if self._pre:
            text = raw.strip("\n")
        else:  # a <br> stays a line break: the analyser joins the lines of one sentence
            lines = (_SPACES.sub(" ", part).strip() for part in raw.split(_BREAK))
            text = "\n".join(line for line in lines if line)
        self._line = []
        if text:
            self._emit(f"```\n{text}\n```" if self._pre else self._prefix + text)
            self._prefix = ""

    def finish(self) -> None:
        """Close what the page left open and flush the last block."""
        self.close()
        while self._stack:
            self.handle_endtag(self._stack[-1])
        self._flush()

    def _emit(self, block: str) -> None:
        self.blocks.append(block)
        if self._main:
            self.main_blocks.append(block)


def _hidden(tag: str, attributes: dict[str, str | None]) -> bool:
    """Whether an element is not part of the text: navigation, hidden, or a footnote mark."""
    role = attributes.get("role")
    if role in _SKIPPED_ROLES or role in _NOTE_ROLES:
        return True
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(attributes.get("style") or ""):
        return True
    return tag == "sup" and bool(_NOTE_CLASS.search(attributes.get("class") or ""))


class HtmlConverter:
    suffixes: tuple[str, ...] = (".html", ".htm", ".xhtml")

    def convert(self, path: Path) -> Converted:
        try:
            markup = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            markup = path.read_bytes().decode("latin-1")
        extractor = _Extractor()
        extractor.feed(markup)
        extractor.finish()
        blocks = extractor.main_blocks or extractor.blocks
        text = join_blocks(_table_rules(blocks))
        if not text.strip():
            raise ConversionError("the page has no text outside navigation and scripts")
        title = _SPACES.sub(" ", extractor.title).strip() or None
        return Converted(text, title)


def _table_rules(blocks: list[str]) -> list[str]:
    """Consecutive table rows as one block, the first row as its header (Markdown tables)."""
    merged: list[str] = []
    for block in blocks:
        if block.startswith("| ") and merged and merged[-1].startswith("| "):
            merged[-1] += "\n" + block
        else:
            merged.append(block)
    out = []
    for block in merged:
        if block.startswith("| "):
            rows = block.split("\n")
            columns = rows[0].count(" | ") + 1
            block = "\n".join([rows[0], "|" + " --- |" * columns, *rows[1:]])
        out.append(block)
    return out
