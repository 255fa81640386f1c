"""What every converter gives the corpus loader (file -> `Converted`), and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from corpus.documents import Page


class ConversionError(Exception):
    """This file cannot be read as a document; the message says why and what to do."""


@dataclass(frozen=True)
class Converted:
    text: str  # what the service serves: every offset points into it
    title: str | None = None  # from the file's own metadata, when it has one
    pages: tuple[Page, ...] = ()  # where each page of the file lies in `text`


class Converter(Protocol):
    """Reads one kind of file; raises `ConversionError` for a file it cannot read."""

    suffixes: tuple[str, ...]  # lower case, with the dot: (".pdf",)

    def convert(self, path: Path) -> Converted: ...


def join_blocks(blocks: list[str]) -> str:
    """Blocks (paragraphs, headings, list items, table rows) as text, one blank line apart."""
    text = "\n\n".join(block.strip("\n") for block in blocks if block.strip())
    return text + "\n" if text else ""
