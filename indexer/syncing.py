"""The build into PostgreSQL: corpus folder -> per document, chunks and vectors -> upserted rows.

Incremental: a document whose content hash and build identity (model files, encoder, text
analyser, chunking) are those stored is skipped; a stored document no longer in the corpus is
deleted. Each document is written in its own transaction (`PostgresStore.upsert_document`), so
the service answers throughout, from the old version of a document or the new one.

`PostgresIndexWriter` is the document endpoints' writer for the database: uploads read and
checked as the folder writer reads them, each document then embedded and written in its own
transaction, so every replica answers from it at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import faiss
import numpy as np

from corpus import Document, SkippedFile, read_corpus
from indexer.analysis import DEFAULT_ANALYZER, TextAnalyzer
from indexer.artifact import CorpusIndex, EmbeddingInfo, QueryEncoderInfo
from indexer.building import (
    PROBES,
    BuildProgress,
    SilentProgress,
    _same_encoder,
    chunking_manifest,
    chunking_params,
    measure_query_encoders,
)
from indexer.chunking import Chunk, ChunkingParams, chunk_document, embedded_text
from indexer.embedding import Embedder, Vectors, encoder_sha256, open_embedder
from indexer.postgres import IndexedDocument, PostgresStore
from indexer.settings import EncoderKind, IndexSettings
from indexer.store import StoreUnavailableError
from indexer.updating import (
    BuildEncoders,
    Change,
    Upload,
    check_deletable,
    check_exists,
    check_unique,
    read_upload,
)

logger = logging.getLogger(__name__)

__all__ = [
    "PostgresIndexWriter",
    "SyncReport",
    "build_identity",
    "import_index",
    "index_document",
    "sync_database",
]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    chunks_written: int = 0
    schema_migrations: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)  # files that were not indexed
    embedded_texts: int = 0  # chunks and sentences embedded
    version: str = ""  # the database keeps no versions: every change is served once written


def build_identity(
    embedding: EmbeddingInfo, chunking: dict[str, object], analyzer: TextAnalyzer
) -> str:
    """What must match for a stored document to be kept as it is: the model and encoder that
    embedded it, the text analyser and the chunking parameters."""
    made_by = {
        "embedding": embedding.model_dump(),
        "analysis": [analyzer.info.name, analyzer.info.version],
        "chunking": chunking,
    }
    return hashlib.sha256(json.dumps(made_by, sort_keys=True).encode()).hexdigest()


def index_document(
    document: Document,
    embedder: Embedder,
    settings: IndexSettings,
    analyzer: TextAnalyzer = DEFAULT_ANALYZER,
) -> IndexedDocument:
    """One document chunked, analysed and embedded exactly as `build_index` does it, ready for
    `PostgresStore.upsert_document` (the document endpoints call this, then that)."""
    params = chunking_params(settings)
    chunks, sentences = chunk_document(document, params, embedder.fits, analyzer=analyzer)
    texts = [embedded_text(document, c.section, c.text, params, analyzer) for c in chunks]
    return IndexedDocument(
        document=document,
        identity=build_identity(_embedding(embedder), chunking_manifest(settings), analyzer),
        chunks=chunks,
        sentences=sentences,
        chunk_vectors=_embed(embedder, texts),
        sentence_vectors=_embed(embedder, [s.text for s in sentences]),
        chunk_terms=[analyzer.terms(text) for text in texts],
    )


def sync_database(
    settings: IndexSettings,
    progress: BuildProgress | None = None,
    embedders: Iterable[Embedder] = (),
) -> SyncReport:
    """Bring the database at settings.database_url up to date with settings.corpus_dir."""
    progress = progress or SilentProgress()
    report = SyncReport()
    started = time.perf_counter()
    analyzer = DEFAULT_ANALYZER
    corpus = read_corpus(settings.corpus_dir)
    report.skipped = corpus.skipped
    loaded: dict[EncoderKind, Embedder] = {e.identity.encoder: e for e in embedders}
    embedder = loaded.get(settings.build_encoder) or open_embedder(
        settings, settings.build_encoder, "build"
    )
    store = PostgresStore.connect(settings, embedder.identity.dimension)
    try:
        report.schema_migrations = store.migrations_applied
        identity = build_identity(_embedding(embedder), chunking_manifest(settings), analyzer)
        stored = store.document_versions()
        written: list[IndexedDocument] = []
        progress.stage("loading documents", len(corpus.documents))
        for document in corpus.documents:
            if stored.get(document.id) == (document.content_hash, identity):
                report.unchanged.append(document.id)
            else:
                indexed = index_document(document, embedder, settings, analyzer)
                store.upsert_document(indexed)
                written.append(indexed)
                report.chunks_written += len(indexed.chunks)
                report.embedded_texts += len(indexed.chunks) + len(indexed.sentences)
                (report.updated if document.id in stored else report.added).append(document.id)
            progress.advance(1)
        corpus_ids = {d.id for d in corpus.documents}
        for doc_id in sorted(set(stored) - corpus_ids):
            store.delete_document(doc_id)
            report.deleted.append(doc_id)
        report.seconds["loading documents"] = round(time.perf_counter() - started, 3)
        meta = store.meta()
        measured = dict(meta.query_encoders) if meta is not None else {}
        if written or meta is None or meta.embedding is None:
            progress.stage("measuring query encoders")
            measured = _measure(embedder, written, settings, loaded)
        elif not _still_measured(measured, settings, loaded):
            # nothing changed but the query encoder's file (a new export recipe or library):
            # measure it again on stored documents, embedded again without being written
            progress.stage("measuring query encoders")
            sample = _probe_documents(corpus.documents, embedder, settings, analyzer)
            measured = _measure(embedder, sample, settings, loaded)
        store.set_meta(
            _embedding(embedder),
            analyzer.info,
            chunking_manifest(settings),
            measured,
        )
    finally:
        store.close()
    report.seconds["total"] = round(time.perf_counter() - started, 3)
    return report


class PostgresIndexWriter:
    """Documents written to PostgreSQL through the service's store: `upsert_documents` and
    `delete_document` check the change against the database (nothing is written yet), `apply`
    embeds each document with the build encoder and writes it in one transaction.

    `store` returns the store the service reads (None while it is not ready) and `embedders`
    the encoders it already holds.
    """

    def __init__(
        self,
        settings: IndexSettings,
        store: Callable[[], PostgresStore | None],
        embedders: Callable[[], Iterable[Embedder]] = tuple,
    ) -> None:
        self.settings = settings
        self._store = store
        self._encoders = BuildEncoders(settings, embedders)
        self._lock = threading.Lock()
        self._pending: dict[str, Document | None] = {}  # checked, not yet written (None: delete)

    def upsert_documents(self, uploads: Sequence[Upload], replace: bool) -> list[Change]:
        """Read and check every upload first: a bad one changes nothing."""
        documents = [read_upload(upload) for upload in uploads]
        ids = [document.id for document in documents]
        check_unique(ids)
        with self._lock:
            stored = self._ids()
            for doc_id in ids:
                check_exists(doc_id, doc_id in stored, replace)
            for document in documents:
                self._pending[document.id] = document
        return [Change("upsert", doc_id) for doc_id in ids]

    def delete_document(self, doc_id: str) -> Change:
        with self._lock:
            stored = self._ids()
            check_deletable(doc_id, doc_id in stored, bool(stored - {doc_id}))
            self._pending[doc_id] = None
        return Change("delete", doc_id)

    def apply(self, changes: Sequence[Change]) -> SyncReport:
        """Write the documents of `changes` (their latest checked version), one transaction each."""
        started = time.perf_counter()
        report = SyncReport()
        store = self._ready_store()
        embedder = self._encoders.build()
        for doc_id in dict.fromkeys(change.doc_id for change in changes):
            with self._lock:
                if doc_id not in self._pending:
                    continue  # written by an earlier batch
                document = self._pending.pop(doc_id)
            if document is None:
                if store.delete_document(doc_id):
                    report.deleted.append(doc_id)
                continue
            indexed = index_document(document, embedder, self.settings)
            store.upsert_document(indexed)
            report.chunks_written += len(indexed.chunks)
            report.embedded_texts += len(indexed.chunks) + len(indexed.sentences)
            report.updated.append(doc_id)
        report.seconds["total"] = round(time.perf_counter() - started, 3)
        logger.info("wrote %s, deleted %s", report.updated, report.deleted)
        return report

    def _ids(self) -> set[str]:
        """The ids the database holds once the checked changes are written."""
        stored = set(self._ready_store().document_versions())
        for doc_id, document in self._pending.items():
            (stored.add if document is not None else stored.discard)(doc_id)
        return stored

    def _ready_store(self) -> PostgresStore:
        store = self._store()
        if store is None:
            raise StoreUnavailableError(
                "the service has not opened the database yet (GET /readyz says why): retry "
                "once it is ready"
            )
        return store


def import_index(store: PostgresStore, index: CorpusIndex) -> list[str]:
    """Load a built index directory into the database as it is: its rows and vectors, nothing
    embedded again (moving a deployment to PostgreSQL; the tests compare the two stores on
    the same vectors). Returns the document ids, in the index's order."""
    manifest = index.manifest
    params = ChunkingParams(
        manifest.chunking["chunk_tokens"],
        manifest.chunking["chunk_overlap"],
        manifest.chunking["embed_prefix"],
    )
    identity = build_identity(manifest.embedding, manifest.chunking, index.analyzer)
    chunks_of: dict[str, list[Chunk]] = {}
    for chunk in index.chunks:
        chunks_of.setdefault(chunk.doc_id, []).append(chunk)
    for doc_id, document in index.documents.items():
        chunks = chunks_of.get(doc_id, [])
        first_chunk = chunks[0].row if chunks else 0
        first, last = (
            (chunks[0].sentence_rows[0], chunks[-1].sentence_rows[1]) if chunks else (0, 0)
        )
        sentences = index.sentences[first:last]
        store.upsert_document(
            IndexedDocument(
                document=document,
                identity=identity,
                chunks=[
                    c.model_copy(
                        update={
                            "row": c.row - first_chunk,
                            "sentence_rows": (
                                c.sentence_rows[0] - first,
                                c.sentence_rows[1] - first,
                            ),
                        }
                    )
                    for c in chunks
                ],
                sentences=[s.model_copy(update={"row": s.row - first}) for s in sentences],
                chunk_vectors=index.dense.reconstruct_n(first_chunk, len(chunks)),
                sentence_vectors=np.asarray(index.sentence_vectors[first:last]),
                chunk_terms=[
                    index.analyzer.terms(
                        embedded_text(document, c.section, c.text, params, index.analyzer)
                    )
                    for c in chunks
                ],
            )
        )
    store.set_meta(
        manifest.embedding, index.analyzer.info, manifest.chunking, manifest.query_encoders
    )
    return list(index.documents)


def _embedding(embedder: Embedder) -> EmbeddingInfo:
    return EmbeddingInfo(**asdict(embedder.identity), normalized=True)


def _measure(
    embedder: Embedder,
    written: list[IndexedDocument],
    settings: IndexSettings,
    loaded: dict[EncoderKind, Embedder],
) -> dict[EncoderKind, QueryEncoderInfo]:
    """The query encoders measured as `build_index` measures them, on the documents this run
    embedded (an exact FAISS index of their chunks stands in for the database's)."""
    dimension = embedder.identity.dimension
    dense = faiss.IndexFlatIP(dimension)
    dense.add(_stack([d.chunk_vectors for d in written], dimension))
    sentences = [s for d in written for s in d.sentences]
    if not sentences:
        return {embedder.identity.encoder: _same_encoder(embedder)}
    vectors = _stack([d.sentence_vectors for d in written], dimension)
    return measure_query_encoders(embedder, sentences, vectors, dense, settings, loaded)


def _still_measured(
    measured: dict[EncoderKind, QueryEncoderInfo],
    settings: IndexSettings,
    loaded: dict[EncoderKind, Embedder],
) -> bool:
    """Whether the configured query encoder is the file that `measured` measured."""
    info = measured.get(settings.query_encoder)
    return info is not None and info.sha256 == encoder_sha256(
        settings, settings.query_encoder, loaded
    )


def _probe_documents(
    documents: Sequence[Document],
    embedder: Embedder,
    settings: IndexSettings,
    analyzer: TextAnalyzer,
) -> list[IndexedDocument]:
    """The corpus's first documents, indexed in memory, until they hold the sentences a
    query encoder's measure reads (`PROBES`)."""
    indexed: list[IndexedDocument] = []
    for document in documents:
        indexed.append(index_document(document, embedder, settings, analyzer))
        if sum(len(d.sentences) for d in indexed) >= PROBES:
            break
    return indexed


def _stack(parts: list[Vectors], dimension: int) -> Vectors:
    return np.concatenate(parts) if parts else np.zeros((0, dimension), dtype=np.float32)


def _embed(embedder: Embedder, texts: list[str]) -> Vectors:
    if not texts:
        return np.zeros((0, embedder.identity.dimension), dtype=np.float32)
    return embedder.embed_documents(texts)
