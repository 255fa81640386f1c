"""Reading a corpus folder: manifest entries, dropped-in files, sections and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus import INTRODUCTION, CorpusError, corpus_hash, load_corpus
from corpus.documents import parse_sections
from eval.corpora import eval_corpora


def test_the_two_documents_load_with_their_manifest_metadata() -> None:
    documents = {d.id: d for d in load_corpus()}
    assert set(documents) == {"iraq-distancing-from-iran", "foreign-relations-of-iraq"}
    encyclopedia = documents["foreign-relations-of-iraq"]
    assert encyclopedia.kind == "encyclopedia article"
    assert encyclopedia.source == "004_6999ead8af6b3f39.txt"
    assert documents["iraq-distancing-from-iran"].kind == "opinion article"


def test_sections_follow_the_heading_structure() -> None:
    encyclopedia = next(d for d in load_corpus() if d.id == "foreign-relations-of-iraq")
    paths = [s.path for s in encyclopedia.sections]
    assert paths[0] == INTRODUCTION
    assert (
        "Relations with Middle Eastern and Central Asian countries > Relations with Turkey > "
        "Incursions of the Turkish army in northern Iraq"
    ) in paths
    assert "Separatism > Kurdish question > Failed independence refendum" in paths
    for section in encyclopedia.sections:
        body = encyclopedia.text[section.start : section.end]
        assert body == body.strip() and body
        assert "\n=" not in body and not body.startswith("="), section.path


def test_sections_do_not_overlap_and_skip_the_title() -> None:
    for document in load_corpus():
        assert not document.text[document.sections[0].start :].startswith("=")
        ends = [s.end for s in document.sections]
        starts = [s.start for s in document.sections]
        assert all(e <= s for e, s in zip(ends, starts[1:], strict=False))


def test_markdown_headings_are_sections_but_not_inside_code_fences() -> None:
    text = "# Guide\n\nIntro text.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n"
    sections = parse_sections(text)
    assert [s.path for s in sections] == [INTRODUCTION, "Install"]
    assert "# not a heading" in text[sections[1].start : sections[1].end]


def test_a_dropped_in_file_is_loaded_and_titled_from_its_heading(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Field notes\n\n## Water\n\nThe Tigris floods.\n")
    (tmp_path / "plain_file.txt").write_text("No heading here, just text.\r\nSecond line.\n")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    documents = {d.id: d for d in load_corpus(tmp_path)}
    assert set(documents) == {"notes", "plain-file"}
    assert documents["notes"].title == "Field notes"
    assert documents["plain-file"].title == "Plain file"
    assert "\r" not in documents["plain-file"].text


def test_corpus_hash_changes_with_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One.\n")
    before = corpus_hash(load_corpus(tmp_path))
    (tmp_path / "a.txt").write_text("Two.\n")
    assert corpus_hash(load_corpus(tmp_path)) != before


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "has no readable documents"),
        ({"a.txt": b"\xff\xfe\x00bad"}, "is not UTF-8"),
        ({"a b.txt": b"x", "a-b.txt": b"y"}, "both get the id"),
        ({"manifest.json": b"{}", "a.txt": b"x"}, "is not a valid corpus manifest"),
        (
            {
                "manifest.json": b'{"documents": [{"id": "x", "file": "gone.txt", "title": "t", '
                b'"kind": "k", "source": "s"}]}',
                "a.txt": b"x",
            },
            "which are not in the folder",
        ),
    ],
)
def test_a_broken_corpus_is_refused_with_what_to_fix(
    tmp_path: Path, files: dict[str, bytes], message: str
) -> None:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_a_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="RAG_CORPUS_DIR"):
        load_corpus(tmp_path / "nope")


@pytest.mark.parametrize("corpus", list(eval_corpora()))
def test_every_eval_corpus_has_titles_and_sections_without_markup(corpus: str) -> None:
    for document in load_corpus(eval_corpora()[corpus].documents):
        headings = {part for section in document.sections for part in section.path.split(" > ")}
        for name in (document.title, *headings):
            assert re.search(r"[^\W\d_]", name), name
            assert not re.search(r"[=#|`*]|\]\(", name), name
            assert len(name) <= 120, name
