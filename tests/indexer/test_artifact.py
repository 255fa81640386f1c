"""A damaged, partial or mismatched index is refused, and the message says what to run."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.artifact import (
    IndexCorruptError,
    IndexIncompleteError,
    IndexLoadError,
    IndexMismatchError,
    IndexMissingError,
    load_index,
)
from indexer.building import BuildReport
from qa_service.pipeline import QAService
from qa_service.settings import Settings


@pytest.fixture
def index_copy(settings: Settings, built_index: BuildReport, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    return copy


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_manifest(index: Path, change: Callable[[dict[str, object]], None]) -> None:
    manifest = json.loads((index / "manifest.json").read_text())
    change(manifest)
    (index / "manifest.json").write_text(json.dumps(manifest))


DAMAGE: dict[str, tuple[Callable[[Path], None], type[IndexLoadError], str]] = {
    "no manifest": (
        lambda i: (i / "manifest.json").unlink(),
        IndexIncompleteError,
        "has no manifest.json",
    ),
    "a file missing": (
        lambda i: (i / "chunks.faiss").unlink(),
        IndexIncompleteError,
        "missing chunks.faiss",
    ),
    "a vector file changed": (
        lambda i: _flip_a_byte(i / "sentence_vectors.npy"),
        IndexCorruptError,
        "sentence_vectors.npy .* does not match its checksum",
    ),
    "rows cut short": (
        lambda i: (i / "chunks.jsonl").write_text(
            "".join((i / "chunks.jsonl").read_text().splitlines(keepends=True)[:-3])
        ),
        IndexCorruptError,
        "chunks.jsonl .* does not match its checksum",
    ),
    "a manifest that is not JSON": (
        lambda i: (i / "manifest.json").write_text("{not json"),
        IndexCorruptError,
        "manifest.json is damaged",
    ),
    "an older format": (
        lambda i: _edit_manifest(i, lambda m: m.update(format_version=0)),
        IndexMismatchError,
        "has format 0",
    ),
    "another version of the text analyser": (
        lambda i: _edit_manifest(i, lambda m: m["analysis"].update(version=0)),
        IndexMismatchError,
        r"built with another text analyser .*'default-en' is at version \d+, not 0",
    ),
    "an unknown text analyser": (
        lambda i: _edit_manifest(i, lambda m: m["analysis"].update(name="klingon")),
        IndexMismatchError,
        "text analyser 'klingon' is not part of this version",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damage_is_refused_with_what_to_run(index_copy: Path, damage: str) -> None:
    harm, error, message = DAMAGE[damage]
    harm(index_copy)
    with pytest.raises(error, match=message) as refused:
        load_index(index_copy)
    assert "rag-index build" in str(refused.value)


def test_a_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="build it with `rag-index build`"):
        load_index(tmp_path / "nowhere")


def test_rows_that_disagree_with_the_vectors_are_refused_even_without_checksums(
    index_copy: Path,
) -> None:
    lines = (index_copy / "sentences.jsonl").read_text().splitlines(keepends=True)
    (index_copy / "sentences.jsonl").write_text("".join(lines[:-1]))
    with pytest.raises(IndexCorruptError, match=r"sentences but .* vectors"):
        load_index(index_copy, verify_checksums=False)


def test_an_index_built_with_another_model_is_refused(index_copy: Path, service: QAService) -> None:
    other = dataclasses.replace(service.embedder.identity, name="other", files_sha256="0" * 64)
    with pytest.raises(IndexMismatchError, match="built with the embedding model") as refused:
        load_index(index_copy, other)
    assert "RAG_EMBEDDING_MODEL=bundled:all-MiniLM-L6-v2" in str(refused.value)


def test_the_intact_copy_loads(index_copy: Path, service: QAService) -> None:
    loaded = load_index(index_copy, service.embedder.identity)
    assert len(loaded.chunks) == loaded.dense.ntotal == len(service.index.chunks)
