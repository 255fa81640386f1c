"""The real embedding model, loaded once per session, for everything that scores support."""

from __future__ import annotations

import os

import pytest

from eval.embedding import SentenceTransformerEmbedder
from eval.metrics.support import SupportScorer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def scorer() -> SupportScorer:
    return SupportScorer(SentenceTransformerEmbedder())
