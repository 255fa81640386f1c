"""`.pdf` files: the text layer of each page (pypdf), with where each page lies in the text.

Pages are read in pypdf's layout mode, which keeps vertical gaps as blank lines, so paragraphs
stay apart; each line's layout indentation and padding are removed. A PDF has no heading
markup: headings come from the text itself (a numbered heading such as "3. Definitions" on a
line of its own is found by the analyser). A scan without a text layer, or a file that only
opens with a password, is refused with what to do.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfReadError, PyPdfError

from corpus.documents import Page
from corpus.formats.base import ConversionError, Converted

# pypdf logs every recoverable oddity of a file; the build summary reports what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)
_PADDING = re.compile(r"[ \t]{2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")


class PdfConverter:
    suffixes: tuple[str, ...] = (".pdf",)

    def convert(self, path: Path) -> Converted:
        try:
            reader = PdfReader(path)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise ConversionError(
                    "it is an encrypted PDF that needs a password: save a copy without one"
                )
            pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
            title = reader.metadata.title if reader.metadata else None
        except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
            raise ConversionError(
                f"it is not a readable PDF ({error.__class__.__name__}: {error}): "
                "open it in a PDF reader and save it again"
            ) from error
        parts: list[str] = []
        spans: list[Page] = []
        offset = 0
        for number, raw in enumerate(pages, 1):
            lines = [_PADDING.sub(" ", line.strip()) for line in raw.replace("\r", "").split("\n")]
            page = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
            if not page:
                continue
            if parts:
                offset += 2  # the blank line between pages
            spans.append(Page(page=number, start=offset, end=offset + len(page)))
            parts.append(page)
            offset += len(page)
        if not parts:
            raise ConversionError(
                "the PDF has no text layer (a scan?): run OCR on it (for example ocrmypdf) and "
                "add the result"
            )
        return Converted("\n\n".join(parts) + "\n", title.strip() if title else None, tuple(spans))


def _opens_without_password(reader: PdfReader) -> bool:
    """Many PDFs are encrypted with an empty user password: they open for anyone."""
    try:
        return bool(reader.decrypt(""))
    except (DependencyError, PyPdfError, NotImplementedError):
        return False
