"""The index directory: one version, written with a manifest, refused on load unless it verifies.

Layout (txtai-style: the index knows how it was made):
    manifest.json          how it was built, and a checksum of every other file
    documents.jsonl        the documents' text and sections: every offset points into these
    chunks.jsonl           chunk rows; row i is vector i of chunks.faiss and document i of bm25/
    sentences.jsonl        sentence rows; row i is row i of sentence_vectors.npy
    chunks.faiss           FAISS inner-product index over normalised chunk vectors
    sentence_vectors.npy   normalised sentence vectors (memory-mapped on load)
    bm25/                  the BM25 index over chunk terms
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from pydantic import BaseModel, Field, ValidationError

from corpus import Document
from indexer.analysis import AnalyzerInfo, TextAnalyzer, analyzer_for
from indexer.chunking import Chunk, Sentence
from indexer.dense import load_dense_index, save_dense_index
from indexer.embedding import ModelIdentity, Vectors
from indexer.lexical import Bm25Index
from indexer.settings import EncoderKind
from indexer.versions import new_staging, publish

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: sentences carry their token count; 3: display text, pages, analyser
MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
CHUNKS = "chunks.jsonl"
SENTENCES = "sentences.jsonl"
DENSE = "chunks.faiss"
SENTENCE_VECTORS = "sentence_vectors.npy"
BM25 = "bm25"

REBUILD = "rebuild it with `rag-index build` (or `make index`)"


class IndexLoadError(Exception):
    """The index directory cannot be used; the message says what to run."""


class IndexMissingError(IndexLoadError):
    pass


class IndexIncompleteError(IndexLoadError):
    pass


class IndexCorruptError(IndexLoadError):
    pass


class IndexMismatchError(IndexLoadError):
    pass


class EmbeddingInfo(BaseModel, frozen=True):
    name: str
    path: str
    files_sha256: str
    dimension: int
    max_seq_length: int
    normalized: bool
    encoder: EncoderKind = "torch"  # what embedded the chunks and sentences
    encoder_sha256: str = ""  # its ONNX file's hash; for PyTorch, the model files' hash


class QueryEncoderInfo(BaseModel, frozen=True):
    """A query encoder measured against the index's own vectors by the build."""

    sha256: str  # the encoder measured: its ONNX file's hash; for PyTorch, the model files' hash
    probes: int  # indexed sentences embedded again with it
    mean_cosine: float  # to the stored vectors of the same sentences
    min_cosine: float
    top_chunks_agreement: float  # share of the top chunks found by both vectors of a sentence
    allowed: bool  # mean_cosine reached the build's encoder_min_cosine


class DocumentInfo(BaseModel, frozen=True):
    id: str
    title: str
    source: str
    sha256: str
    chars: int


class CorpusInfo(BaseModel, frozen=True):
    dir: str
    hash: str
    documents: list[DocumentInfo]
    skipped: dict[str, str] = {}  # file name -> why it was not indexed


class AnalysisInfo(BaseModel, frozen=True):
    """The text analyser that found the headings, sentences and terms of this index."""

    name: str
    version: int

    @property
    def key(self) -> AnalyzerInfo:
        return AnalyzerInfo(self.name, self.version)


class Manifest(BaseModel, frozen=True):
    format_version: int
    built_at: str
    build_seconds: dict[str, float]
    embedding: EmbeddingInfo
    analysis: AnalysisInfo
    chunking: dict[str, Any]
    dense: dict[str, Any]
    lexical: dict[str, Any]
    corpus: CorpusInfo
    counts: dict[str, Any]
    versions: dict[str, str]
    files: dict[str, str]  # relative path -> sha256
    query_encoders: dict[EncoderKind, QueryEncoderInfo] = Field(default_factory=dict)

    def model_identity_matches(self, identity: ModelIdentity) -> bool:
        return (
            self.embedding.files_sha256 == identity.files_sha256
            and self.embedding.dimension == identity.dimension
        )

    def query_encoder_problem(self, identity: ModelIdentity) -> str | None:
        """Why questions embedded by `identity` must not search this index; None when allowed."""
        return query_encoder_problem(self.embedding, self.query_encoders, identity)


def query_encoder_problem(
    embedding: EmbeddingInfo,
    query_encoders: dict[EncoderKind, QueryEncoderInfo],
    identity: ModelIdentity,
) -> str | None:
    """Why questions embedded by `identity` must not search vectors made as `embedding`, given
    the query encoders the build measured; None when allowed."""
    built_with = f"was built with the {embedding.encoder} encoder"
    allowed = sorted(kind for kind, info in query_encoders.items() if info.allowed)
    others = f"set RAG_QUERY_ENCODER to one it allows ({', '.join(allowed) or 'none'})"
    measured = query_encoders.get(identity.encoder)
    if measured is None:
        return (
            f"{built_with} and did not measure the {identity.encoder} query encoder "
            f"against it: {REBUILD} with RAG_QUERY_ENCODER={identity.encoder} set, or {others}"
        )
    if measured.sha256 != identity.encoder_sha256:
        return (
            f"measured a different {identity.encoder} encoder (sha256 {measured.sha256[:12]}) "
            f"than the one configured (sha256 {identity.encoder_sha256[:12]}; another model "
            f"or library version made it): {REBUILD} to measure this one, or {others}"
        )
    if not measured.allowed:
        return (
            f"{built_with}, and the {identity.encoder} query encoder's vectors reach a mean "
            f"cosine of only {measured.mean_cosine:.4f} to it: {others}, or "
            f"{REBUILD} with RAG_BUILD_ENCODER={identity.encoder}"
        )
    return None


@dataclass(frozen=True)
class CorpusIndex:
    """A loaded, verified index: everything retrieval and answering read."""

    directory: Path
    manifest: Manifest
    analyzer: TextAnalyzer  # the one named in the manifest: queries are analysed like the text
    documents: dict[str, Document]
    chunks: list[Chunk]
    sentences: list[Sentence]
    dense: faiss.Index
    sentence_vectors: Vectors
    bm25: Bm25Index

    @property
    def version(self) -> str:
        """The version's id: its directory's name (a fixed name for an unversioned index)."""
        return self.directory.name


@dataclass(frozen=True)
class IndexContents:
    """What a build produced, before it is written."""

    documents: list[Document]
    chunks: list[Chunk]
    sentences: list[Sentence]
    dense: faiss.Index
    sentence_vectors: Vectors
    bm25: Bm25Index


def write_index(
    directory: Path, contents: IndexContents, manifest: dict[str, Any]
) -> tuple[Manifest, str]:
    """Write a new version beside the served one, then switch `directory` to it atomically;
    the manifest written and the version's id. Hold `build_lock(directory)` around it."""
    staging = new_staging(directory)
    try:
        _write_jsonl(staging / DOCUMENTS, contents.documents)
        _write_jsonl(staging / CHUNKS, contents.chunks)
        _write_jsonl(staging / SENTENCES, contents.sentences)
        save_dense_index(contents.dense, staging / DENSE)
        np.save(staging / SENTENCE_VECTORS, contents.sentence_vectors)
        contents.bm25.save(staging / BM25)
        manifest["files"] = {
            str(path.relative_to(staging)): file_sha256(path)
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        }
        final = Manifest.model_validate(manifest)
        (staging / MANIFEST).write_text(final.model_dump_json(indent=2) + "\n", encoding="utf-8")
        version = publish(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final, version


def read_manifest(directory: Path) -> Manifest:
    if not directory.exists():
        raise IndexMissingError(
            f"there is no index at {directory}: build it with `rag-index build`"
        )
    path = directory / MANIFEST
    if not path.exists():
        raise IndexIncompleteError(
            f"{directory} has no {MANIFEST}: the build did not finish or this is not an index; "
            + REBUILD
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        version = raw.get("format_version") if isinstance(raw, dict) else None
        if version != FORMAT_VERSION:  # checked first: another format has other fields
            raise IndexMismatchError(
                f"the index at {directory} has format {version}, this version reads "
                f"format {FORMAT_VERSION}; {REBUILD}"
            )
        return Manifest.model_validate(raw)
    except (ValidationError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IndexCorruptError(
            f"{path} is damaged ({error.__class__.__name__}); {REBUILD}"
        ) from error
    except OSError as error:  # unreadable, or a directory
        raise IndexCorruptError(f"{path} cannot be read ({error.strerror}); {REBUILD}") from error


def verify_files(directory: Path, manifest: Manifest, checksums: bool) -> None:
    for name, expected in manifest.files.items():
        path = directory / name
        if not path.is_file():
            raise IndexIncompleteError(f"the index at {directory} is missing {name}; {REBUILD}")
        if checksums and file_sha256(path) != expected:
            raise IndexCorruptError(
                f"{name} in {directory} does not match its checksum in {MANIFEST}: the file was "
                f"changed or damaged; {REBUILD}"
            )


def load_index(
    directory: Path, model: ModelIdentity | None = None, verify_checksums: bool = True
) -> CorpusIndex:
    """Load and verify the index; refuse one that `model` (the query embedder) must not search.

    A versioned index is resolved first: everything is read from the one version it names.
    """
    directory = directory.resolve()
    manifest = read_manifest(directory)
    if model is not None and not manifest.model_identity_matches(model):
        raise IndexMismatchError(
            f"the index at {directory} was built with the embedding model "
            f"{manifest.embedding.name!r} (files sha256 {manifest.embedding.files_sha256[:12]}, "
            f"{manifest.embedding.dimension} dimensions), but the configured model is "
            f"{model.name!r} (sha256 {model.files_sha256[:12]}, {model.dimension} dimensions): "
            f"{REBUILD}, or set RAG_EMBEDDING_MODEL={manifest.embedding.name}"
        )
    try:
        analyzer = analyzer_for(manifest.analysis.key)
    except LookupError as error:
        raise IndexMismatchError(
            f"the index at {directory} was built with another text analyser ({error}); {REBUILD}"
        ) from error
    problem = None if model is None else manifest.query_encoder_problem(model)
    if problem is not None:
        raise IndexMismatchError(f"the index at {directory} {problem}")
    verify_files(directory, manifest, verify_checksums)
    try:
        documents = [Document.model_validate_json(line) for line in _lines(directory / DOCUMENTS)]
        chunks = [Chunk.model_validate_json(line) for line in _lines(directory / CHUNKS)]
        sentences = [Sentence.model_validate_json(line) for line in _lines(directory / SENTENCES)]
        dense = load_dense_index(directory / DENSE, manifest.dense.get("ef_search", 128))
        sentence_vectors = np.load(directory / SENTENCE_VECTORS, mmap_mode="r")
        bm25 = Bm25Index.load(directory / BM25)
    except (ValidationError, ValueError, OSError, RuntimeError, KeyError) as error:
        raise IndexCorruptError(
            f"cannot read the index at {directory} ({error}); {REBUILD}"
        ) from error
    index = CorpusIndex(
        directory=directory,
        manifest=manifest,
        analyzer=analyzer,
        documents={d.id: d for d in documents},
        chunks=chunks,
        sentences=sentences,
        dense=dense,
        sentence_vectors=sentence_vectors,
        bm25=bm25,
    )
    _check_consistent(index)
    return index


def _check_consistent(index: CorpusIndex) -> None:
    problems = []
    dimension = index.manifest.embedding.dimension
    if index.dense.ntotal != len(index.chunks) or index.bm25.size != len(index.chunks):
        problems.append(
            f"{len(index.chunks)} chunks but {index.dense.ntotal} vectors and "
            f"{index.bm25.size} BM25 rows"
        )
    if index.dense.d != dimension or index.sentence_vectors.shape[1:] != (dimension,):
        problems.append(f"vectors are not {dimension}-dimensional")
    if index.sentence_vectors.shape[0] != len(index.sentences):
        problems.append(
            f"{len(index.sentences)} sentences but {index.sentence_vectors.shape[0]} vectors"
        )
    if any(c.row != i for i, c in enumerate(index.chunks)) or any(
        s.row != i for i, s in enumerate(index.sentences)
    ):
        problems.append("rows are out of order")
    if problems:
        raise IndexCorruptError(
            f"the index at {index.directory} is inconsistent: {'; '.join(problems)}; {REBUILD}"
        )


def _write_jsonl(path: Path, rows: Iterable[BaseModel]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(row.model_dump_json() + "\n")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
