"""Eval corpus -> the service settings for it -> its own index under var/eval/indexes/<name>,
built with the indexer's API when missing or stale and reused when fresh."""

from __future__ import annotations

import logging
from pathlib import Path

from corpus import CorpusError
from eval.corpora import EvalCorpus
from eval.errors import IndexBuildError
from indexer.artifact import IndexLoadError
from indexer.building import build_index, index_needs_build
from indexer.embedding import ModelError
from qa_service.settings import Settings, get_settings

logger = logging.getLogger(__name__)

INDEXES_DIR = Path("var/eval/indexes")  # relative to the working directory, like var/index


def corpus_settings(corpus: EvalCorpus, base: Settings | None = None) -> Settings:
    """The service's settings (the `RAG_` environment) pointed at the corpus and its own index:
    what `RAG_CORPUS_DIR` and `RAG_INDEX_DIR` would set."""
    return (base or get_settings()).model_copy(
        update={"corpus_dir": corpus.documents, "index_dir": INDEXES_DIR / corpus.name}
    )


def ensure_index(settings: Settings) -> list[str]:
    """Build the index at settings.index_dir unless it is fresh; the reasons it was built ([] when
    it was reused)."""
    try:
        reasons = index_needs_build(settings)
        if reasons:
            logger.info("building %s: %s", settings.index_dir, "; ".join(reasons))
            build_index(settings)
    except (CorpusError, ModelError, IndexLoadError, OSError) as error:
        raise IndexBuildError(
            f"cannot build the index of {settings.corpus_dir} at {settings.index_dir}: {error}"
        ) from error
    return reasons
