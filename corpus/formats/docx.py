"""`.docx` files (python-docx): paragraphs in order, headings as `#` lines, tables as `|` rows.

The "Title" style is the document's title; "Heading N" styles open sections one level below it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from corpus.formats.base import ConversionError, Converted, join_blocks

_HEADING_STYLE = re.compile(r"^Heading (\d)$")
_LIST_STYLE = re.compile(r"^List")


class DocxConverter:
    suffixes: tuple[str, ...] = (".docx",)

    def convert(self, path: Path) -> Converted:
        try:
            document = docx.Document(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise ConversionError(
                f"it is not a readable Word document ({error.__class__.__name__}): open it in "
                "a word processor and save it again as .docx"
            ) from error
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                blocks.append(_paragraph(item))
            elif isinstance(item, Table):
                blocks.append(_table(item))
        text = join_blocks(blocks)
        if not text:
            raise ConversionError("the document has no text")
        title = document.core_properties.title or None
        return Converted(text, title.strip() if title else None)


def _paragraph(paragraph: Paragraph) -> str:
    text = " ".join(paragraph.text.split())
    style = paragraph.style.name if paragraph.style is not None else ""
    if not text:
        return ""
    if style == "Title":
        return f"# {text}"
    heading = _HEADING_STYLE.match(style or "")
    if heading:
        return "#" * (int(heading.group(1)) + 1) + " " + text
    if _LIST_STYLE.match(style or ""):
        return f"- {text}"
    return text


def _table(table: Table) -> str:
    rows = [
        "| " + " | ".join(" ".join(cell.text.split()) for cell in row.cells) + " |"
        for row in table.rows
    ]
    if not rows:
        return ""
    columns = len(table.columns)
    return "\n".join([rows[0], "|" + " --- |" * columns, *rows[1:]])
