"""Converters: PDF pages, HTML main content, DOCX structure, and the files that are skipped."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from corpus import read_corpus
from corpus.formats import ConversionError, Converted, converter_for
from indexer.analysis import DEFAULT_ANALYZER
from tests.corpora.fixtures import PDF_TITLE, SOURCES, make_formats_corpus


def _convert(path: Path) -> Converted:
    converter = converter_for(path)
    assert converter is not None, path
    return converter.convert(path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_formats_corpus(tmp_path_factory.mktemp("formats"), broken=True)


def test_each_unreadable_file_is_skipped_with_what_to_do(folder: Path) -> None:
    contents = read_corpus(folder)
    reasons = {skipped.name: skipped.reason for skipped in contents.skipped}
    assert "OCR" in reasons.pop("scan.pdf")
    assert "save a copy without one" in reasons.pop("locked.pdf")
    assert "not a readable Word document" in reasons.pop("corrupt.docx")
    assert "not a supported type" in reasons.pop("budget.xlsx")
    assert reasons == {}
    assert [d.source for d in contents.documents] == [
        "ferry.docx",
        "library-report.pdf",
        "museum.html",
    ]


def test_a_pdf_keeps_its_text_and_where_each_page_lies(folder: Path) -> None:
    converted = _convert(folder / "library-report.pdf")
    pages = SOURCES.joinpath("library-report.txt").read_text(encoding="utf-8").split("\f\n")
    assert converted.title == PDF_TITLE
    assert [p.page for p in converted.pages] == [1, 2]
    for page, source in zip(converted.pages, pages, strict=True):
        assert converted.text[page.start : page.end] == source.strip()


def test_html_keeps_the_main_content_with_its_headings(folder: Path) -> None:
    document = next(d for d in read_corpus(folder).documents if d.id == "museum")
    assert document.title == "The Clockmakers' Museum"
    assert [s.path for s in document.sections][1:] == ["Opening hours", "Admission", "Highlights"]
    assert "| Adult | 9 euros |" in document.text
    for furniture in (
        "Contact us",
        "Donate",
        "newsletter",
        "Copyright",
        "analytics",
        "font-family",
    ):
        assert furniture not in document.text


def test_html_without_main_drops_the_navigation_around_the_body(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><nav><a href='/'>Home</a></nav><div role='navigation'>Menu</div>"
        "<h1>Notes</h1><p>First &amp; only <b>paragraph</b>.</p><pre>x = 1\ny = 2</pre>"
        "<div hidden>secret</div><footer>Imprint</footer></body></html>"
    )
    converted = _convert(page)
    assert converted.text == "# Notes\n\nFirst & only paragraph.\n\n```\nx = 1\ny = 2\n```\n"


def test_docx_styles_become_title_sections_bullets_and_a_table(folder: Path) -> None:
    document = next(d for d in read_corpus(folder).documents if d.id == "ferry")
    assert document.title == "Island Ferry Service"
    assert [s.path for s in document.sections] == ["Introduction", "Timetable", "Tickets", "Cars"]
    assert "- A return ticket for an adult costs 18 euros." in document.text
    assert "| Summer | 6 | 07:30 |" in document.text


def test_a_text_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("café".encode("latin-1"))
    with pytest.raises(ConversionError, match="convert it to UTF-8"):
        _convert(path)


def test_html_line_breaks_nested_tables_hidden_text_and_footnote_marks(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><h1>Prices</h1><p>The café opens at nine<br>and closes at six.</p>"
        "<table><tr><th>Item</th><th>Price</th></tr>"
        "<tr><td>Tea</td><td>2 <table><tr><td>or</td><td>3</td></tr></table> euros</td></tr>"
        "<tr><td>Cake<br>slice</td><td>4 euros</td></tr></table>"
        '<p>Cakes are baked daily<sup class="reference"><a href="#n1">[1]</a></sup>.</p>'
        '<p style="display: none">Staff only.</p><p>Water is free.</p></body></html>',
        encoding="utf-8",
    )
    text = _convert(page).text
    # A <br> is a line break inside the paragraph, which the analyser joins into one sentence.
    assert "The café opens at nine\nand closes at six." in text
    # A table inside a cell is that cell's text; the outer row keeps its cells.
    assert "| Tea | 2 or 3 euros |\n| Cake slice | 4 euros |" in text
    assert "Cakes are baked daily." in text
    assert "Staff only" not in text
    document = next(d for d in read_corpus(tmp_path).documents if d.id == "page")
    sentences = [
        document.text[s:e] for s, e in DEFAULT_ANALYZER.sentences(document.text, 0, len(text))
    ]
    assert "The café opens at nine\nand closes at six." in sentences


def test_docx_headers_and_footers_are_page_furniture(tmp_path: Path) -> None:
    made = docx.Document()
    made.sections[0].header.paragraphs[0].text = "CONFIDENTIAL"
    made.sections[0].footer.paragraphs[0].text = "Page 1 of 1"
    made.add_heading("Scope", level=1)
    made.add_paragraph("The policy covers every branch.")
    made.save(str(tmp_path / "policy.docx"))
    assert (
        _convert(tmp_path / "policy.docx").text == "## Scope\n\nThe policy covers every branch.\n"
    )
