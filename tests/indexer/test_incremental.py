"""Incremental builds and index versions: reuse, the vector cache, the flip, the lock, leftovers."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from corpus import DEFAULT_CORPUS_DIR
from indexer.artifact import load_index
from indexer.building import build_index
from indexer.embedding import Embedder, open_embedder
from indexer.versions import (
    BuildRunningError,
    build_lock,
    current_version,
    lock_path,
    versions_dir,
)
from qa_service.settings import Settings

NEW_DOCUMENT = """# Water of the Tigris

## The Zubair agreement

In 2031 Iraq and the fictional Republic of Varnistan signed the Zubair water agreement,
which shares the Tigris flow at 37 percent for Varnistan.
"""


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The ONNX encoder builds these small indexes: the same vectors as PyTorch, quicker."""
    return open_embedder(Settings(_env_file=None), "onnx-fp32", "build")  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DEFAULT_CORPUS_DIR / "iraq-distancing-from-iran.txt", corpus)
    return Settings(  # type: ignore[call-arg]
        corpus_dir=corpus, index_dir=tmp_path / "index", build_encoder="onnx-fp32", _env_file=None
    )


@pytest.fixture
def umask_002() -> Iterator[None]:
    previous = os.umask(0o002)
    yield
    os.umask(previous)


def test_adding_a_document_embeds_only_that_document(
    settings: Settings, encoder: Embedder, tmp_path: Path
) -> None:
    first = build_index(settings, embedders=[encoder])
    assert first.reused_documents == 0 and first.embedded_texts == first.chunks + first.sentences
    (settings.corpus_dir / "tigris.md").write_text(NEW_DOCUMENT)
    added = build_index(settings, embedders=[encoder])
    incremental = load_index(settings.index_dir)
    tigris = [c for c in incremental.chunks if c.doc_id == "tigris"]
    tigris_sentences = [s for s in incremental.sentences if s.doc_id == "tigris"]
    assert added.reused_documents == 1
    assert added.embedded_texts == len(tigris) + len(tigris_sentences)

    scratch = settings.model_copy(update={"index_dir": tmp_path / "scratch"})
    build_index(scratch, embedders=[encoder])
    fresh = load_index(scratch.index_dir)
    assert incremental.chunks == fresh.chunks and incremental.sentences == fresh.sentences
    assert incremental.manifest.counts == fresh.manifest.counts
    dense = incremental.dense.reconstruct_n(0, incremental.dense.ntotal)
    assert np.allclose(dense, fresh.dense.reconstruct_n(0, fresh.dense.ntotal), atol=1e-5)
    assert np.allclose(incremental.sentence_vectors, fresh.sentence_vectors, atol=1e-5)


def test_an_edit_re_embeds_only_the_text_it_touched(settings: Settings, encoder: Embedder) -> None:
    (settings.corpus_dir / "tigris.md").write_text(NEW_DOCUMENT)
    build_index(settings, embedders=[encoder])
    edited = NEW_DOCUMENT + "\nThe agreement was renewed in 2040 for another decade.\n"
    (settings.corpus_dir / "tigris.md").write_text(edited)
    report = build_index(settings, embedders=[encoder])
    # The untouched document is reused whole; of the edited one, the old sentences come from
    # the cache: only the new sentence and the chunk holding it are embedded.
    assert report.reused_documents == 1
    assert report.embedded_texts == 2
    index = load_index(settings.index_dir)
    assert "renewed in 2040" in index.documents["tigris"].text


def test_removing_a_document_drops_its_rows(settings: Settings, encoder: Embedder) -> None:
    (settings.corpus_dir / "tigris.md").write_text(NEW_DOCUMENT)
    build_index(settings, embedders=[encoder])
    (settings.corpus_dir / "tigris.md").unlink()
    report = build_index(settings, embedders=[encoder])
    index = load_index(settings.index_dir)
    assert report.embedded_texts == 0
    assert set(index.documents) == {"iraq-distancing-from-iran"}
    assert {c.doc_id for c in index.chunks} == {"iraq-distancing-from-iran"}
    assert [c.row for c in index.chunks] == list(range(len(index.chunks)))


def test_each_build_is_a_version_behind_one_symlink(
    settings: Settings, encoder: Embedder, umask_002: None
) -> None:
    first = build_index(settings, embedders=[encoder])
    held = load_index(settings.index_dir)  # a reader that resolved the first version
    second = build_index(settings, embedders=[encoder])
    third = build_index(settings, embedders=[encoder])
    assert settings.index_dir.is_symlink()
    assert current_version(settings.index_dir) == third.version
    assert load_index(settings.index_dir).version == third.version
    kept = sorted(p.name for p in versions_dir(settings.index_dir).iterdir())
    assert kept == sorted([second.version, third.version])  # the current one and one before
    assert held.version == first.version  # removed from disk, but still loaded and mapped:
    assert held.dense.search(held.dense.reconstruct_n(0, 1), 1)[1][0][0] == 0
    mode = stat.S_IMODE(os.stat(versions_dir(settings.index_dir) / third.version).st_mode)
    assert mode == 0o775  # the umask's, not a forced 0700
    assert stat.S_IMODE(os.stat(settings.index_dir / "manifest.json").st_mode) == 0o664


def test_an_index_of_the_old_layout_is_moved_into_the_versions(
    settings: Settings, encoder: Embedder, tmp_path: Path
) -> None:
    build_index(settings, embedders=[encoder])
    plain = tmp_path / "plain"
    shutil.copytree(settings.index_dir, plain)  # a plain directory, as builds made them before
    moved = settings.model_copy(update={"index_dir": plain})
    report = build_index(moved, embedders=[encoder])
    assert plain.is_symlink() and report.reused_documents == 1
    assert load_index(plain).version == report.version


def test_a_second_build_is_told_one_is_running_or_waits(
    settings: Settings, encoder: Embedder
) -> None:
    build_index(settings, embedders=[encoder])
    before = current_version(settings.index_dir)
    with build_lock(settings.index_dir):
        with pytest.raises(BuildRunningError, match=r"is running \(pid \d+\)"):
            build_index(settings, embedders=[encoder], wait=False)
        waiting = threading.Thread(
            target=build_index, args=(settings,), kwargs={"embedders": [encoder]}
        )
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive()  # it waits for the lock
        assert current_version(settings.index_dir) == before
    waiting.join(timeout=300)
    assert current_version(settings.index_dir) != before
    assert lock_path(settings.index_dir).exists()


def test_the_next_build_removes_what_dead_builds_left(
    settings: Settings, encoder: Embedder
) -> None:
    build_index(settings, embedders=[encoder])
    dead = versions_dir(settings.index_dir) / ".building-deadbeef0000"
    (dead / "bm25").mkdir(parents=True)
    (dead / "chunks.jsonl").write_text("half a row")
    old_layout = settings.index_dir.parent / ".index.building-x1y2"
    old_layout.mkdir()
    build_index(settings, embedders=[encoder])
    assert not dead.exists() and not old_layout.exists()
    assert [
        p.name for p in versions_dir(settings.index_dir).iterdir() if p.name.startswith(".")
    ] == []
