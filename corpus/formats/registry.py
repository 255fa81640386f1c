"""Which converter reads which file type, by file name suffix."""

from __future__ import annotations

from pathlib import Path

from corpus.formats.base import Converter
from corpus.formats.docx import DocxConverter
from corpus.formats.html import HtmlConverter
from corpus.formats.pdf import PdfConverter
from corpus.formats.text import TextConverter

CONVERTERS: tuple[Converter, ...] = (
    TextConverter(),
    PdfConverter(),
    HtmlConverter(),
    DocxConverter(),
)
SUPPORTED_SUFFIXES = tuple(s for converter in CONVERTERS for s in converter.suffixes)


def converter_for(path: Path) -> Converter | None:
    suffix = path.suffix.lower()
    return next((c for c in CONVERTERS if suffix in c.suffixes), None)
