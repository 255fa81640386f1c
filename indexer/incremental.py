"""What a build reuses from the served version: the chunks and sentences of unchanged documents,
and a vector cache keyed by model identity and the hash of the text embedded.

A document whose every field is unchanged keeps its chunks and sentences (only their rows move);
any other text is embedded only when the cache has no vector for it, so adding a document costs
that document, and an edited paragraph re-embeds only the chunks and sentences it touches.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from corpus import Document
from indexer.artifact import CorpusIndex
from indexer.chunking import Chunk, ChunkingParams, Sentence, embedded_text
from indexer.embedding import Embedder, ModelIdentity, Vectors

logger = logging.getLogger(__name__)

__all__ = ["Parts", "Reusable", "VectorCache", "model_key", "reusable", "text_key"]


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def model_key(identity: ModelIdentity) -> tuple[str, str, str, int]:
    """What makes two vectors of the same text interchangeable: the same model files, run by
    the same encoder file, at the same dimension."""
    return (identity.files_sha256, identity.encoder, identity.encoder_sha256, identity.dimension)


class VectorCache:
    """Vectors by (model identity, sha256 of the text embedded); it embeds only what it lacks."""

    def __init__(self, model: tuple[str, str, str, int]) -> None:
        self.model = model
        self._vectors: dict[bytes, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def add(self, texts: Sequence[str], vectors: Vectors) -> None:
        for text, vector in zip(texts, vectors, strict=True):
            self._vectors[text_key(text)] = vector

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        embed: Callable[[Embedder, list[str]], Vectors],
    ) -> Vectors:
        """Vectors of `texts`: cached ones reused, the rest embedded by `embed` and cached."""
        if model_key(embedder.identity) != self.model:
            raise ValueError("this cache holds another model's vectors")
        keys = [text_key(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        by_key = {text_key(t): t for t in texts}
        fresh = embed(embedder, [by_key[k] for k in missing])
        self._vectors.update(zip(missing, fresh, strict=True))
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        if not keys:
            return np.zeros((0, embedder.identity.dimension), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32, copy=False)


class Reusable:
    """The served version, when it was built the way this build builds: its unchanged
    documents' parts and vectors, and a cache seeded with the vectors of the changed ones."""

    def __init__(self, index: CorpusIndex, params: ChunkingParams) -> None:
        self.index = index
        self.params = params
        self.cache = VectorCache(model_key(_identity_of(index)))
        self._chunks: dict[str, list[Chunk]] = {}
        self._sentences: dict[str, list[Sentence]] = {}
        self._kept: set[str] = set()  # documents whose parts were taken
        for chunk in index.chunks:
            self._chunks.setdefault(chunk.doc_id, []).append(chunk)
        for sentence in index.sentences:
            self._sentences.setdefault(sentence.doc_id, []).append(sentence)

    def unchanged(self, document: Document) -> bool:
        return self.index.documents.get(document.id) == document

    def seed(self, document_ids: Iterable[str]) -> None:
        """Cache the served vectors of these documents: an edit re-embeds only what it touched."""
        for doc_id in document_ids:
            document = self.index.documents.get(doc_id)
            if document is None:
                continue
            chunks, sentences = self._chunks.get(doc_id, []), self._sentences.get(doc_id, [])
            texts = [
                embedded_text(document, c.section, c.text, self.params, self.index.analyzer)
                for c in chunks
            ]
            self.cache.add(texts, self._chunk_vectors(chunks))
            self.cache.add([s.text for s in sentences], self._sentence_vectors(sentences))

    def parts_of(self, doc_id: str, chunk_row: int, sentence_row: int) -> Parts:
        """An unchanged document's chunks, sentences and vectors, renumbered from these rows."""
        self._kept.add(doc_id)
        chunks, sentences = self._chunks.get(doc_id, []), self._sentences.get(doc_id, [])
        chunk_shift = chunk_row - (chunks[0].row if chunks else 0)
        sentence_shift = sentence_row - (sentences[0].row if sentences else 0)
        return Parts(
            [
                c.model_copy(
                    update={
                        "row": c.row + chunk_shift,
                        "sentence_rows": (
                            c.sentence_rows[0] + sentence_shift,
                            c.sentence_rows[1] + sentence_shift,
                        ),
                    }
                )
                for c in chunks
            ],
            [s.model_copy(update={"row": s.row + sentence_shift}) for s in sentences],
            self._chunk_vectors(chunks),
            self._sentence_vectors(sentences),
        )

    def dropped_sentences(self) -> list[Sentence]:
        """The current version's sentences of the documents whose parts were not taken."""
        dropped = [found for doc_id, found in self._sentences.items() if doc_id not in self._kept]
        return [sentence for found in dropped for sentence in found]

    def _chunk_vectors(self, chunks: list[Chunk]) -> Vectors:
        """A document's chunk vectors: its chunks hold consecutive rows of the FAISS index."""
        if not chunks:
            return np.zeros((0, self.index.dense.d), dtype=np.float32)
        vectors: Vectors = self.index.dense.reconstruct_n(chunks[0].row, len(chunks))
        return vectors

    def _sentence_vectors(self, sentences: list[Sentence]) -> Vectors:
        if not sentences:
            return np.zeros((0, self.index.dense.d), dtype=np.float32)
        first = sentences[0].row
        return np.asarray(self.index.sentence_vectors[first : first + len(sentences)])


@dataclass(frozen=True)
class Parts:
    """One document's rows of the index: chunks and sentences, with their vectors."""

    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: Vectors
    sentence_vectors: Vectors


def reusable(
    previous: CorpusIndex | None,
    identity: ModelIdentity,
    same_build: bool,
    params: ChunkingParams,
) -> Reusable | None:
    """The served version, if it was built by this model and these settings (`same_build`:
    chunking and text analysis unchanged); None means a build from nothing."""
    if previous is None or not same_build:
        return None
    if model_key(_identity_of(previous)) != model_key(identity):
        return None
    return Reusable(previous, params)


def _identity_of(index: CorpusIndex) -> ModelIdentity:
    return ModelIdentity(**index.manifest.embedding.model_dump(exclude={"normalized"}))
