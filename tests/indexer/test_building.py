"""Building: atomic writes, stable ids, staleness, dropped-in documents, and the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus import DEFAULT_CORPUS_DIR
from indexer.artifact import load_index
from indexer.building import BuildReport, build_index, index_needs_build
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest
from qa_service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
NEW_DOCUMENT = """# Water of the Tigris

## The Zubair agreement

In 2031 Iraq and the fictional Republic of Varnistan signed the Zubair water agreement,
which shares the Tigris flow at 37 percent for Varnistan.
"""


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DEFAULT_CORPUS_DIR / "iraq-distancing-from-iran.txt", corpus)
    return corpus


@pytest.fixture
def small_settings(small_corpus: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", _env_file=None)  # type: ignore[call-arg]


def test_the_session_build_reports_what_it_did(built_index: BuildReport) -> None:
    assert built_index.documents == 2
    assert built_index.chunks > 100 and built_index.sentences > built_index.chunks
    assert 0 < built_index.chunk_tokens_min <= built_index.chunk_tokens_max <= 128
    assert {"chunking", "embedding chunks", "embedding sentences"} <= set(built_index.seconds)


def test_rebuilding_an_unchanged_corpus_gives_the_same_ids(
    small_settings: Settings, service: QAService
) -> None:
    build_index(small_settings, embedders=[service.embedder])
    first = load_index(small_settings.index_dir)
    build_index(small_settings, embedders=[service.embedder])
    second = load_index(small_settings.index_dir)
    assert [c.id for c in first.chunks] == [c.id for c in second.chunks]
    assert first.manifest.corpus.hash == second.manifest.corpus.hash
    leftovers = [
        p.name for p in small_settings.index_dir.parent.iterdir() if p.name.startswith(".")
    ]
    assert leftovers == []  # the staging and old directories are gone


def test_a_changed_corpus_makes_the_index_stale(
    small_settings: Settings, small_corpus: Path, service: QAService
) -> None:
    assert index_needs_build(small_settings)[0].startswith("there is no index")
    build_index(small_settings, embedders=[service.embedder])
    assert index_needs_build(small_settings) == []
    (small_corpus / "tigris.md").write_text(NEW_DOCUMENT)
    assert index_needs_build(small_settings) == ["the corpus changed (added: tigris)"]
    smaller_chunks = small_settings.model_copy(update={"chunk_tokens": 64})
    (small_corpus / "tigris.md").unlink()
    assert index_needs_build(smaller_chunks) == ["the chunking settings changed"]


def test_a_damaged_index_needs_a_build(small_settings: Settings, service: QAService) -> None:
    build_index(small_settings, embedders=[service.embedder])
    vectors = small_settings.index_dir / "sentence_vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:-8] + b"\0" * 8)
    (reason,) = index_needs_build(small_settings)
    assert "does not match its checksum" in reason


def test_a_dropped_in_document_is_indexed_and_found(
    small_settings: Settings, small_corpus: Path, service: QAService
) -> None:
    (small_corpus / "tigris.md").write_text(NEW_DOCUMENT)
    build_index(small_settings, embedders=[service.embedder])
    qa = QAService(small_settings, embedder=service.embedder)
    assert qa.index.documents["tigris"].title == "Water of the Tigris"
    response = qa.ask(AskRequest(question="What share of the Tigris flow goes to Varnistan?"))
    assert not response.abstained
    assert response.citations[0].doc_id == "tigris"
    assert "37 percent" in response.answer
    assert response.citations[0].section == "The Zubair agreement"


def test_a_failed_build_leaves_the_previous_index_in_place(
    small_settings: Settings, small_corpus: Path, service: QAService
) -> None:
    build_index(small_settings, embedders=[service.embedder])
    before = load_index(small_settings.index_dir).manifest.built_at
    (small_corpus / "manifest.json").write_text("{not json")
    with pytest.raises(Exception, match="not a valid corpus manifest"):
        build_index(small_settings, embedders=[service.embedder])
    assert load_index(small_settings.index_dir).manifest.built_at == before


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_the_cli_builds_prints_a_summary_and_skips_a_fresh_index(
    small_corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "cli-index"
    (small_corpus / "budget.xlsx").write_bytes(b"PK\x03\x04")
    built = _cli("build", "--corpus", str(small_corpus), "--index", str(index))
    assert built.returncode == 0, built.stderr
    for line in ("load model ...", "embedding chunks", "documents", "tokens per chunk"):
        assert line in built.stdout
    assert "skipped: budget.xlsx" in built.stdout  # with its reason beside it
    again = _cli("build", "--if-needed", "--corpus", str(small_corpus), "--index", str(index))
    assert again.returncode == 0 and "is up to date" in again.stdout
    inspected = _cli("inspect", "--index", str(index), "--chunks", "2")
    assert inspected.returncode == 0
    assert '"files_sha256"' in inspected.stdout  # the manifest
    assert "iraq-distancing-from-iran >" in inspected.stdout  # chunks with their sections


def test_the_cli_turns_errors_into_one_line_and_exit_1(tmp_path: Path) -> None:
    result = _cli("inspect", "--index", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "error: there is no index" in result.stderr
    assert "Traceback" not in result.stderr
