"""The folder writer: originals stored by rename, checked first, the manifest kept readable."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from corpus import DEFAULT_CORPUS_DIR, load_corpus
from indexer.updating import (
    DocumentExistsError,
    DocumentMissingError,
    DocumentRejectedError,
    FolderIndexWriter,
    Upload,
    text_upload,
)
from qa_service.settings import Settings


@pytest.fixture
def writer(tmp_path: Path) -> FolderIndexWriter:
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS_DIR, corpus)  # two documents and a manifest
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", _env_file=None)  # type: ignore[call-arg]
    return FolderIndexWriter(settings)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_titled_upload_is_stored_with_a_manifest_entry(writer: FolderIndexWriter) -> None:
    (change,) = writer.upsert_documents(
        [Upload("Notes 2031.md", b"# Notes\n\nSome text.", title="Field notes")], replace=False
    )
    assert change.doc_id == "notes-2031"
    documents = {d.id: d for d in load_corpus(writer.folder)}
    assert documents["notes-2031"].title == "Field notes"
    assert documents["notes-2031"].text == "# Notes\n\nSome text."
    assert len(documents) == 3


def test_replacing_with_another_format_leaves_one_file(writer: FolderIndexWriter) -> None:
    writer.upsert_documents([text_upload("# Ferry\n\nIt leaves at 7.", "ferry", None)], False)
    html = b"<html><body><h1>Ferry</h1><p>It leaves at 9.</p></body></html>"
    writer.upsert_documents([Upload("timetable.html", html, doc_id="ferry")], replace=True)
    assert sorted(p.name for p in writer.folder.glob("ferry*")) == ["ferry.html"]
    assert "leaves at 9" in {d.id: d for d in load_corpus(writer.folder)}["ferry"].text


def test_replacing_a_manifest_document_drops_its_entry_first(writer: FolderIndexWriter) -> None:
    doc_id = "iraq-distancing-from-iran"
    writer.upsert_documents([text_upload("# Short\n\nNow short.", doc_id, None)], replace=True)
    entries = json.loads((writer.folder / "manifest.json").read_text())["documents"]
    assert [e["id"] for e in entries] == ["foreign-relations-of-iraq"]
    assert not (writer.folder / f"{doc_id}.txt").exists()
    assert {d.id: d for d in load_corpus(writer.folder)}[doc_id].title == "Short"


def test_one_bad_upload_stores_none_of_the_request(writer: FolderIndexWriter) -> None:
    before = _files(writer.folder)
    good = Upload("good.md", b"# Good\n\nReadable.")
    for bad, message in [
        (Upload("bad.pdf", b"%PDF-1.4 garbage"), "cannot be read"),
        (Upload("tool.exe", b"MZ"), "not a supported type"),
        (Upload("blank.txt", b"\n \n"), "has no text"),
        (Upload("good.txt", b"Same id."), "same id"),
        (Upload("x.md", b"# X", doc_id="Bad Id"), "not a valid document id"),
    ]:
        with pytest.raises(DocumentRejectedError, match=message):
            writer.upsert_documents([good, bad], replace=False)
    with pytest.raises(DocumentExistsError, match="PUT /documents/foreign-relations-of-iraq"):
        writer.upsert_documents([good, text_upload("x", "foreign-relations-of-iraq", None)], False)
    with pytest.raises(DocumentMissingError, match="POST /documents"):
        writer.upsert_documents([text_upload("x", "nowhere", None)], replace=True)
    assert _files(writer.folder) == before  # nothing stored, no temporary left


def test_delete_removes_the_entry_and_the_file_but_never_the_last(
    writer: FolderIndexWriter,
) -> None:
    writer.delete_document("foreign-relations-of-iraq")
    assert {d.id for d in load_corpus(writer.folder)} == {"iraq-distancing-from-iran"}
    with pytest.raises(DocumentMissingError):
        writer.delete_document("foreign-relations-of-iraq")
    with pytest.raises(DocumentExistsError, match="last document"):
        writer.delete_document("iraq-distancing-from-iran")
    assert {d.id for d in load_corpus(writer.folder)} == {"iraq-distancing-from-iran"}


def test_temporary_files_of_killed_writes_are_removed(writer: FolderIndexWriter) -> None:
    dead = writer.folder / ".upload-0123456789abcdef.pdf"
    dead.write_bytes(b"%PDF half written")
    os.utime(dead, (time.time() - 7200, time.time() - 7200))
    in_progress = writer.folder / ".upload-fedcba9876543210.md"
    in_progress.write_bytes(b"# Being written")
    assert writer.remove_dead_temporaries() == [dead]
    assert not dead.exists() and in_progress.exists()
