"""Fixture corpora of different kinds, and the PDF and DOCX files made from text in this folder.

- wrapped/: hard-wrapped plain text with a setext title and numbered headings;
- markdown/: Markdown with a table, a code block, a list, links and emphasis;
- formats/: a PDF (made from formats/sources/library-report.txt, a form feed between pages), a
  DOCX (made from formats/sources/ferry-service.md) and an HTML page with navigation around
  its main content (formats/sources/museum.html, copied as it is).

Each corpus has a gold set, `gold.jsonl`, in the eval set's format (`eval.dataset.EvalItem`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from eval.dataset import EvalItem

HERE = Path(__file__).parent
SOURCES = HERE / "formats" / "sources"
PDF_TITLE = "Northfield Public Library: Annual Report 2023"


def gold(corpus: str) -> list[EvalItem]:
    lines = (HERE / corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [EvalItem.model_validate_json(line) for line in lines if line.strip()]


def copy_text_corpus(corpus: str, folder: Path) -> Path:
    """A copy of a text fixture corpus (its documents, not its gold set) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in (HERE / corpus).iterdir():
        if path.is_file() and path.name != "gold.jsonl":
            shutil.copy(path, folder / path.name)
    return folder


def make_formats_corpus(folder: Path, broken: bool) -> Path:
    """The PDF + DOCX + HTML corpus in `folder`; with `broken`, also files that must be skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = SOURCES.joinpath("library-report.txt").read_text(encoding="utf-8").split("\f\n")
    write_pdf(pages, folder / "library-report.pdf", PDF_TITLE)
    write_docx(
        SOURCES.joinpath("ferry-service.md").read_text(encoding="utf-8"), folder / "ferry.docx"
    )
    shutil.copy(SOURCES / "museum.html", folder / "museum.html")
    if broken:
        write_scanned_pdf(folder / "scan.pdf")
        write_encrypted_pdf(folder / "library-report.pdf", folder / "locked.pdf")
        (folder / "corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip archive")
        (folder / "budget.xlsx").write_bytes(b"PK\x03\x04")
    return folder


def write_pdf(pages: list[str], path: Path, title: str) -> None:
    """One PDF page per text, line for line, in a core font (Latin-1 text only)."""
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        for line in text.strip("\n").split("\n"):
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_scanned_pdf(path: Path) -> None:
    """A page with only a drawing on it: what a scan without OCR looks like to a text reader."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80, style="F")
    pdf.output(str(path))


def write_encrypted_pdf(source: Path, path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)


def write_docx(markdown: str, path: Path) -> None:
    """`# ` -> Title, `## ` -> Heading 1, `- ` -> List Bullet, `|` rows -> a table."""
    document = docx.Document()
    rows: list[list[str]] = []
    for line in [*markdown.split("\n"), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= {"-", ":"} for cell in cells):
                rows.append(cells)
            continue
        if rows:
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, cells in enumerate(rows):
                for c, cell in enumerate(cells):
                    table.cell(r, c).text = cell
            rows = []
        if line.startswith("# "):
            document.add_paragraph(line[2:], style="Title")
        elif line.startswith("## "):
            document.add_heading(line[3:], level=1)
        elif line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        elif line.strip():
            document.add_paragraph(line)
    document.save(str(path))
