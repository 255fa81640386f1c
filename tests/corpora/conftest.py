"""One index per fixture corpus, built once per session with the real model, and its service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.building import BuildReport, build_index
from indexer.embedding import Embedder, open_embedder
from qa_service.pipeline import QAService
from qa_service.settings import Settings
from tests.corpora.fixtures import copy_text_corpus, make_formats_corpus

CORPORA = ("wrapped", "markdown", "formats")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    return open_embedder(defaults, defaults.build_encoder, "build")


def _make(corpus: str, folder: Path) -> Path:
    if corpus == "formats":
        return make_formats_corpus(folder, broken=True)
    return copy_text_corpus(corpus, folder)


@pytest.fixture(scope="session")
def corpus_service(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Callable[[str], tuple[QAService, BuildReport]]:
    """`corpus_service(name)`: the service over that fixture corpus, and its build report."""
    built: dict[str, tuple[QAService, BuildReport]] = {}

    def get(corpus: str) -> tuple[QAService, BuildReport]:
        if corpus not in built:
            root = tmp_path_factory.mktemp(corpus)
            settings = Settings(  # type: ignore[call-arg]
                corpus_dir=_make(corpus, root / "documents"),
                index_dir=root / "index",
                _env_file=None,
            )
            report = build_index(settings, embedders=[embedder])
            built[corpus] = (QAService(settings, embedder), report)
        return built[corpus]

    return get
