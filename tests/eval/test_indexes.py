"""Each eval corpus gets its own index: built with the indexer's API when missing or stale,
reused when fresh, and named in the settings the in-process service starts with."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.corpora import EvalCorpus, eval_corpora
from eval.errors import IndexBuildError
from eval.indexes import INDEXES_DIR, corpus_settings, ensure_index
from indexer.artifact import load_index
from qa_service.settings import Settings
from tests.eval.eval_fixtures import DOC_ID, write_corpus


def test_settings_point_at_the_corpus_and_its_own_index() -> None:
    corpus = eval_corpora()["apache-license"]
    settings = corpus_settings(corpus, Settings(gate_threshold=0.3))
    assert settings.corpus_dir == corpus.documents
    assert settings.index_dir == INDEXES_DIR / "apache-license"
    assert settings.gate_threshold == 0.3  # everything else comes from the base settings


def test_an_index_is_built_when_missing_reused_when_fresh_rebuilt_when_stale(
    tmp_path: Path,
) -> None:
    documents = write_corpus(tmp_path / "documents")
    settings = Settings(corpus_dir=documents, index_dir=tmp_path / "index")
    assert ensure_index(settings)  # missing: built
    assert load_index(settings.index_dir).documents[DOC_ID].text
    assert ensure_index(settings) == []  # fresh: reused
    document = next(documents.glob("*.txt"))
    document.write_text(document.read_text() + "\nA new last sentence.\n")
    assert any("corpus changed" in reason for reason in ensure_index(settings))


def test_a_corpus_that_cannot_be_indexed_says_so(tmp_path: Path) -> None:
    corpus = EvalCorpus("empty", tmp_path / "nowhere", tmp_path / "gold.jsonl")
    with pytest.raises(IndexBuildError, match="nowhere"):
        ensure_index(corpus_settings(corpus).model_copy(update={"index_dir": tmp_path / "i"}))
