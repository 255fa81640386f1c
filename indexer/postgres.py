"""The index in PostgreSQL + pgvector: a `CorpusStore` that any number of service replicas share.

Layout (created by the versioned `MIGRATIONS`, recorded in `schema_migrations`):
    corpus_meta     one row: how the vectors were made (model, analyser, chunking, measured
                    query encoders), the chunk count and total term count (BM25's N and mean
                    length) and a version bumped by every write
    documents       one row per document: its JSON, content hash and build identity; `key`
                    numbers its rows (chunk and sentence row = key << ROW_BITS | ordinal)
    chunks          text, offsets, term count, vector (HNSW, inner product)
    chunk_terms     BM25 postings: term, chunk row, term frequency, chunk length
    term_df         document frequency of every term (BM25's idf), and the largest tf and
                    smallest chunk length it was ever written with (bounds for pruning)
    sentences       text, offsets, terms, vector
    index_jobs      the service's indexing jobs (`qa_service.postgres_jobs`): status, the
                    replica running each and until when its lease holds

Every read goes to the database (nothing is cached in the process), so a document written
through one replica is answered by every other at once. BM25 is computed in SQL with the
formula and parameters of the index directory's `bm25s` (Lucene variant, k1 1.5, b 0.75),
pruned so that common terms' postings are not read in full (`_LEXICAL`: the same top k).
Writes are one transaction per document (`upsert_document`, `delete_document`); vectors are
computed by the indexer, never by the database.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout
from pydantic import BaseModel, Field

from corpus import Document
from indexer.analysis import DEFAULT_ANALYZER, AnalyzerInfo, TextAnalyzer, analyzer_for
from indexer.artifact import (
    AnalysisInfo,
    EmbeddingInfo,
    IndexMismatchError,
    IndexMissingError,
    QueryEncoderInfo,
    query_encoder_problem,
)
from indexer.chunking import Chunk, Sentence
from indexer.embedding import ModelIdentity, Vectors
from indexer.settings import EncoderKind, IndexSettings
from indexer.store import CorpusView, Ranking, StoreUnavailableError

__all__ = [
    "LEXICAL_EXHAUSTIVE",
    "MIGRATIONS",
    "ROW_BITS",
    "CorpusMeta",
    "IndexedDocument",
    "PostgresStore",
    "PostgresView",
]

logger = logging.getLogger(__name__)

ROW_BITS = 20  # rows of a document: key << ROW_BITS | ordinal; at most 2**20 chunks or sentences
K1, B = 1.5, 0.75  # bm25s's defaults, which the index directory uses
REBUILD = "load it with `rag-index build` while RAG_DATABASE_URL is set"

# (version, description, SQL); {dimension} is the embedding model's. Never edit one that has
# shipped: add the next.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "documents, chunks, sentences, BM25 postings, HNSW index",
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE corpus_meta (
            id int PRIMARY KEY CHECK (id = 1),
            dimension int NOT NULL,
            embedding jsonb,
            analysis jsonb,
            chunking jsonb,
            query_encoders jsonb NOT NULL DEFAULT '{{}}',
            built_at timestamptz,
            chunks bigint NOT NULL DEFAULT 0,
            total_length bigint NOT NULL DEFAULT 0,
            version bigint NOT NULL DEFAULT 0
        );
        INSERT INTO corpus_meta (id, dimension) VALUES (1, {dimension});
        CREATE TABLE documents (
            key bigserial PRIMARY KEY,
            id text NOT NULL UNIQUE,
            content_hash text NOT NULL,
            identity text NOT NULL,
            body jsonb NOT NULL,
            indexed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE chunks (
            row_id bigint PRIMARY KEY,
            doc_key bigint NOT NULL REFERENCES documents (key) ON DELETE CASCADE,
            id text NOT NULL,
            section text NOT NULL,
            start_offset int NOT NULL,
            end_offset int NOT NULL,
            text text NOT NULL,
            tokens int NOT NULL,
            first_sentence bigint NOT NULL,
            last_sentence bigint NOT NULL,
            length int NOT NULL,
            embedding vector({dimension}) NOT NULL
        );
        CREATE INDEX chunks_doc_key ON chunks (doc_key);
        CREATE INDEX chunks_embedding ON chunks
            USING hnsw (embedding vector_ip_ops) WITH (m = 32, ef_construction = 200);
        CREATE TABLE chunk_terms (
            term text NOT NULL,
            row_id bigint NOT NULL REFERENCES chunks (row_id) ON DELETE CASCADE,
            tf int NOT NULL,
            length int NOT NULL,
            -- BM25 reads a term's postings from this index alone, without visiting chunks
            PRIMARY KEY (term, row_id) INCLUDE (tf, length)
        );
        CREATE INDEX chunk_terms_row ON chunk_terms (row_id);
        CREATE TABLE term_df (term text PRIMARY KEY, df bigint NOT NULL);
        CREATE TABLE sentences (
            row_id bigint PRIMARY KEY,
            doc_key bigint NOT NULL REFERENCES documents (key) ON DELETE CASCADE,
            section text NOT NULL,
            start_offset int NOT NULL,
            end_offset int NOT NULL,
            text text NOT NULL,
            terms text[] NOT NULL,
            tokens int NOT NULL,
            embedding vector({dimension}) NOT NULL
        );
        CREATE INDEX sentences_doc_key ON sentences (doc_key);
        """,
    ),
    (
        2,
        "per-term bounds of BM25's tf factor, for pruned lexical search",
        """
        ALTER TABLE term_df ADD COLUMN max_tf int, ADD COLUMN min_length int;
        UPDATE term_df d SET max_tf = s.max_tf, min_length = s.min_length
        FROM (
            SELECT term, max(tf) AS max_tf, min(length) AS min_length
            FROM chunk_terms GROUP BY term
        ) AS s
        WHERE s.term = d.term;
        """,
    ),
    (
        3,
        "indexing jobs, readable from every replica",
        """
        CREATE TABLE index_jobs (
            seq bigserial UNIQUE,
            id text PRIMARY KEY,
            status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
            changes jsonb NOT NULL,
            created_at timestamptz NOT NULL,
            finished_at timestamptz,
            version text,
            error text,
            embedded int,
            replica text NOT NULL,
            lease_until timestamptz NOT NULL
        );
        CREATE INDEX index_jobs_unfinished ON index_jobs (seq)
            WHERE status IN ('queued', 'running');
        """,
    ),
)

# In the order of the fields of Chunk and Sentence.
_CHUNK_COLUMNS = (
    "row_id, id, (SELECT d.id FROM documents d WHERE d.key = c.doc_key), section, "
    "start_offset, end_offset, text, tokens, ARRAY[first_sentence, last_sentence]"
)
_SENTENCE_COLUMNS = (
    "row_id, (SELECT d.id FROM documents d WHERE d.key = s.doc_key), section, start_offset, "
    "end_offset, text, terms, tokens"
)
# BM25's contribution of one posting `t` of a question term `r` (with its idf), as bm25s adds it.
_CONTRIBUTION = (
    f"(r.idf * t.tf / (t.tf + {K1} * (1 - {B} + {B} * t.length::float8 / m.mean_length)))::float4"
)
_TERMS = """
    m AS (
        SELECT chunks::float8 AS n, total_length::float8 / greatest(chunks, 1) AS mean_length
        FROM corpus_meta WHERE id = 1
    ), w AS (
        SELECT q.i, q.term, d.df, d.max_tf, d.min_length,
            ln(1 + (m.n - d.df + 0.5) / (d.df + 0.5)) AS idf
        FROM unnest(%(terms)s::text[]) WITH ORDINALITY AS q (term, i)
        JOIN term_df d ON d.term = q.term CROSS JOIN m
    )"""
# The reference: every posting of every question term summed. Exact, but a common term's
# posting list is most of the corpus (11x the pruned query's p50 at 100,000 chunks in
# bench/storage_scale.py): tests and the bench only.
LEXICAL_EXHAUSTIVE = f"""
    WITH {_TERMS}
    SELECT t.row_id, sum({_CONTRIBUTION})::float4 AS score
    FROM w AS r JOIN chunk_terms t ON t.term = r.term CROSS JOIN m
    GROUP BY t.row_id ORDER BY score DESC, t.row_id LIMIT %(k)s
"""
# The same top k, without reading the common terms' postings (MaxScore pruning). A term adds
# at most `most` to any chunk: its idf times the tf factor tf / (tf + k1 (1 - b + b len / mean))
# at the largest tf and smallest length it was written with (kept in term_df, never lowered, so
# still bounds after deletes; the mean is today's). So:
#   1. `seeded`: the postings of the rarest terms, until they hold k postings, give k chunks
#      whose score is at least `theta` (the k-th best of their partial scores);
#   2. the terms of least `most` that add up to less than theta are "non-essential": a chunk
#      with none of the other terms scores below theta and cannot be in the top k;
#   3. `partial`: the essential terms' postings summed; a chunk whose partial score plus the
#      non-essential bounds stays below theta cannot be in the top k either;
#   4. the survivors get the non-essential terms' contributions: by index lookups (term, row)
#      when there are few of them, else by reading those terms' postings (when the rarest
#      terms are too common to set a useful theta, this costs what the exhaustive sum does).
# theta is lowered by 1e-5 so that float4 rounding never prunes a chunk of the top k. idf is
# read from term_df with each question, so it stays exact after any incremental write.
_LEXICAL = f"""
    WITH {_TERMS}, most AS (
        SELECT w.*, coalesce(w.idf * w.max_tf / (w.max_tf
            + {K1} * (1 - {B} + {B} * w.min_length::float8 / m.mean_length)), w.idf) AS most
        FROM w CROSS JOIN m
    ), r AS MATERIALIZED (
        SELECT term, idf, df,
            sum(df::float8) OVER (ORDER BY idf DESC, i ROWS UNBOUNDED PRECEDING) - df
                AS rarer_postings,
            sum(most) OVER (ORDER BY most, i ROWS UNBOUNDED PRECEDING) AS bound
        FROM most
    ), seeded AS (
        SELECT sum({_CONTRIBUTION}) AS score
        FROM r JOIN chunk_terms t ON t.term = r.term CROSS JOIN m
        WHERE r.rarer_postings < %(k)s GROUP BY t.row_id ORDER BY score DESC LIMIT %(k)s
    ), threshold AS (
        SELECT CASE WHEN count(*) = %(k)s THEN min(score) * (1 - 1e-5) ELSE 0 END AS theta
        FROM seeded
    ), common AS (
        SELECT coalesce(max(r.bound) FILTER (WHERE r.bound < h.theta), 0) AS bound,
            count(*) FILTER (WHERE r.bound < h.theta) AS terms,
            coalesce(sum(r.df) FILTER (WHERE r.bound < h.theta), 0) AS postings
        FROM r CROSS JOIN threshold h
    ), partial AS (
        SELECT t.row_id, sum({_CONTRIBUTION}) AS score
        FROM r JOIN chunk_terms t ON t.term = r.term CROSS JOIN m CROSS JOIN threshold h
        WHERE r.bound >= h.theta GROUP BY t.row_id
    ), survivors AS MATERIALIZED (
        SELECT p.row_id, p.score FROM partial p CROSS JOIN threshold h CROSS JOIN common c
        WHERE p.score + c.bound >= h.theta
    ), lookups AS (  -- a lookup costs about as much as reading four postings in order
        SELECT (SELECT count(*) FROM survivors) * c.terms * 4 <= c.postings AS cheaper
        FROM common c
    ), scored AS (
        SELECT s.row_id, (s.score + coalesce((
            SELECT sum({_CONTRIBUTION}) FROM r JOIN chunk_terms t
                ON t.term = r.term AND t.row_id = s.row_id CROSS JOIN m
            WHERE r.bound < h.theta), 0))::float4 AS score
        FROM survivors s CROSS JOIN threshold h
        WHERE (SELECT cheaper FROM lookups)
        UNION ALL
        SELECT s.row_id, (s.score + coalesce(n.score, 0))::float4
        FROM survivors s LEFT JOIN (
            SELECT t.row_id, sum({_CONTRIBUTION}) AS score
            FROM r JOIN chunk_terms t ON t.term = r.term CROSS JOIN m CROSS JOIN threshold h
            WHERE r.bound < h.theta GROUP BY t.row_id
        ) AS n ON n.row_id = s.row_id
        WHERE NOT (SELECT cheaper FROM lookups)
    )
    SELECT row_id, score FROM scored ORDER BY score DESC, row_id LIMIT %(k)s
"""


class CorpusMeta(BaseModel, frozen=True):
    """How the vectors in the database were made, and what is in it."""

    dimension: int
    embedding: EmbeddingInfo | None
    analysis: AnalysisInfo | None
    chunking: dict[str, Any] | None
    query_encoders: dict[EncoderKind, QueryEncoderInfo] = Field(default_factory=dict)
    built_at: str
    chunks: int
    total_length: int
    version: int
    documents: int


@dataclass(frozen=True)
class IndexedDocument:
    """One document chunked, analysed and embedded by the indexer, ready to be written.

    Rows count from 0 within the document (`indexer.chunking.chunk_document` with its default
    first rows); the store numbers them into its own rows when it writes them.
    """

    document: Document
    identity: str  # what made it (model files, encoder, analyser, chunking): see `build_identity`
    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: Vectors
    sentence_vectors: Vectors
    chunk_terms: list[list[str]]  # the analyser's terms of each chunk's embedded text


@dataclass(frozen=True)
class _SentenceTable:
    """The sentences a question's hits read; a row outside its document reads as an empty
    sentence of no document, which every reader skips (they compare document and section)."""

    rows: dict[int, Sentence]

    def __getitem__(self, row: int, /) -> Sentence:
        found = self.rows.get(row)
        if found is None:
            return Sentence(
                row=row, doc_id="", section="", start=0, end=0, text="", terms=(), tokens=0
            )
        return found

    def __len__(self) -> int:
        return max(self.rows, default=-1) + 1


@dataclass(frozen=True)
class _VectorTable:
    rows: dict[int, npt.NDArray[np.float32]]
    dimension: int

    def __getitem__(self, rows: list[int], /) -> Any:
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.rows[row] for row in rows])


@dataclass(frozen=True)
class _TermTable:
    """The idf of a question's terms, as `indexer.lexical.Bm25Index` computes it."""

    known: dict[str, float]
    chunks: int

    def knows(self, term: str) -> bool:
        return term in self.known

    def idf(self, term: str) -> float:
        return self.known.get(term, float(np.log(1.0 + (self.chunks + 0.5) / 0.5)))


@dataclass(frozen=True)
class PostgresView:
    """What one question reads, fetched in one transaction (a consistent snapshot)."""

    documents: Mapping[str, Document]
    sentences: _SentenceTable
    sentence_vectors: _VectorTable
    bm25: _TermTable


@dataclass
class _Status:
    backend: str
    documents: int
    chunks: int
    built_at: str
    embedding: EmbeddingInfo
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class PostgresStore:
    """The index in PostgreSQL; thread-safe (a connection pool), no state besides the pool."""

    backend = "postgresql"

    def __init__(self, pool: ConnectionPool, ef_search: int, analyzer: TextAnalyzer) -> None:
        self._pool = pool
        self._ef_search = ef_search
        self._analyzer = analyzer
        self._embedding: EmbeddingInfo | None = None
        self.migrations_applied: list[int] = []  # by `connect`

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def connect(cls, settings: IndexSettings, dimension: int) -> PostgresStore:
        """A store for writing: the schema migrated to the latest version (for this dimension)."""
        store = cls(_pool(settings), settings.hnsw_ef_search, DEFAULT_ANALYZER)
        try:
            store.migrations_applied = store.migrate(dimension)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open(cls, settings: IndexSettings, model: ModelIdentity) -> PostgresStore:
        """A store for serving: refused, with what to run, unless it was loaded with vectors
        that `model` (the query encoder) may search."""
        pool = _pool(settings)
        try:
            store = cls(pool, settings.hnsw_ef_search, DEFAULT_ANALYZER)
            meta = store.meta()
            if meta is None or meta.embedding is None or meta.analysis is None:
                raise IndexMissingError(f"the database holds no index yet: {REBUILD}")
            store._check(meta, model)
            store._analyzer = analyzer_for(meta.analysis.key)
            store._embedding = meta.embedding
            store._catch_up(meta.dimension)
            return store
        except BaseException:
            pool.close()
            raise

    def _check(self, meta: CorpusMeta, model: ModelIdentity) -> None:
        assert meta.embedding is not None
        if (meta.embedding.files_sha256, meta.dimension) != (model.files_sha256, model.dimension):
            raise IndexMismatchError(
                f"the database was loaded with the embedding model {meta.embedding.name!r} "
                f"(files sha256 {meta.embedding.files_sha256[:12]}), but the configured model is "
                f"{model.name!r} (sha256 {model.files_sha256[:12]}): {REBUILD}, or set "
                f"RAG_EMBEDDING_MODEL={meta.embedding.name}"
            )
        problem = query_encoder_problem(meta.embedding, meta.query_encoders, model)
        if problem is not None:
            raise IndexMismatchError(
                f"the index in the database {problem}".replace(
                    "rebuild it with `rag-index build` (or `make index`)", REBUILD
                )
            )

    def _catch_up(self, dimension: int) -> None:
        """Apply the migrations a database loaded by an older build lacks (they only add
        tables and columns, so replicas of the older release keep working). A database that
        cannot be migrated from here (a read-only endpoint) is served as it is: the log says
        what to run, and only what needs the new tables (indexing jobs) fails."""
        if self.schema_version() >= MIGRATIONS[-1][0]:
            return
        try:
            self.migrations_applied = self.migrate(dimension)
        except psycopg.Error as error:
            logger.warning(
                "the database's schema is older than this service's and cannot be migrated "
                "from here (%s): %s to migrate it",
                error,
                REBUILD,
            )

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, in a transaction, for tables beside the index (the service's
        indexing jobs); an unreachable database is a StoreUnavailableError."""
        with self._connection() as connection:
            yield connection

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, in a transaction; an unreachable database is a
        StoreUnavailableError."""
        try:
            with self._pool.connection() as connection:
                yield connection
        except psycopg.errors.QueryCanceled as error:
            raise StoreUnavailableError(
                "the database did not answer within RAG_DATABASE_TIMEOUT: retry in a few "
                "seconds; if it persists, the database is overloaded"
            ) from error
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise StoreUnavailableError(
                f"the database cannot be reached ({error.__class__.__name__}): retry in a few "
                "seconds; if it persists, check that PostgreSQL at RAG_DATABASE_URL is up"
            ) from error

    # -- schema ----------------------------------------------------------------------------

    def migrate(self, dimension: int) -> list[int]:
        """Apply the migrations not applied yet, under a lock; the versions applied."""
        applied = []
        with self._connection() as connection:
            _writing(connection)
            connection.execute("SELECT pg_advisory_xact_lock(hashtext('grounded-qa migrations'))")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
                "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in connection.execute("SELECT version FROM schema_migrations")}
            for version, description, sql in MIGRATIONS:
                if version in done:
                    continue
                connection.execute(sql.format(dimension=int(dimension)).encode())
                connection.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
                    (version, description),
                )
                applied.append(version)
            stored = connection.execute("SELECT dimension FROM corpus_meta").fetchone()
        if stored is not None and stored[0] != dimension:
            raise IndexMismatchError(
                f"the database holds {stored[0]}-dimensional vectors, the model makes {dimension}: "
                "load another database (or drop this one's tables) for this model"
            )
        return applied

    def schema_version(self) -> int:
        with self._connection() as connection:
            row = connection.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def meta(self) -> CorpusMeta | None:
        with self._connection() as connection:
            exists = connection.execute("SELECT to_regclass('corpus_meta')").fetchone()
            if exists is None or exists[0] is None:
                return None
            row = (
                connection.cursor(row_factory=dict_row)
                .execute(
                    "SELECT dimension, embedding, analysis, chunking, query_encoders, built_at, "
                    "chunks, total_length, version, (SELECT count(*) FROM documents) AS documents "
                    "FROM corpus_meta WHERE id = 1"
                )
                .fetchone()
            )
        if row is None:
            return None
        row["built_at"] = row["built_at"].isoformat() if row["built_at"] else ""
        return CorpusMeta.model_validate(row)

    # -- reading ---------------------------------------------------------------------------

    @property
    def analyzer(self) -> TextAnalyzer:
        return self._analyzer

    @property
    def embedding(self) -> EmbeddingInfo:
        if self._embedding is None:
            raise IndexMissingError(f"the database holds no index yet: {REBUILD}")
        return self._embedding

    def dense_search(self, query: Vectors, k: int) -> Ranking:
        vector = _vector_literal(query[0])
        with self._connection() as connection:
            if k > self._ef_search:  # HNSW returns at most ef_search rows (the pool sets it)
                connection.execute(
                    "SELECT set_config('hnsw.ef_search', %s, true)", (str(min(1000, k)),)
                )
            rows = connection.execute(
                "SELECT row_id, (-(embedding <#> %s::vector))::float4 FROM chunks "
                "ORDER BY embedding <#> %s::vector LIMIT %s",
                (vector, vector, k),
            ).fetchall()
        return _ranking(rows)

    def lexical_search(self, terms: list[str], k: int) -> Ranking:
        if not terms:
            return _ranking([])
        with self._connection() as connection:
            rows = connection.execute(_LEXICAL, {"terms": terms, "k": k}).fetchall()
        return _ranking([row for row in rows if row[1] > 0])

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        if not rows:
            return []
        with self._connection() as connection:
            found = connection.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks c WHERE row_id = ANY(%s)", (list(rows),)
            ).fetchall()
        by_row = {row[0]: _chunk(row) for row in found}
        missing = [row for row in rows if row not in by_row]
        if missing:  # deleted between the search and this read: retrying searches again
            raise StoreUnavailableError(
                "the documents changed while the question was answered: retry it"
            )
        return [by_row[row] for row in rows]

    def view(self, chunks: Sequence[Chunk], terms: Sequence[str]) -> CorpusView:
        """The sentences of the chunks and one either side, their vectors, the idf of the
        question's terms and the chunks' documents, read in one transaction."""
        lows = [c.sentence_rows[0] - 1 for c in chunks]
        highs = [c.sentence_rows[1] + 1 for c in chunks]
        doc_ids = sorted({c.doc_id for c in chunks})
        with self._connection() as connection:
            sentences = connection.execute(
                f"SELECT DISTINCT ON (row_id) {_SENTENCE_COLUMNS}, embedding::float4[] "
                "FROM sentences s JOIN unnest(%s::bigint[], %s::bigint[]) AS r (lo, hi) "
                "ON s.row_id >= r.lo AND s.row_id < r.hi",
                (lows, highs),
            ).fetchall()
            known = connection.execute(
                "SELECT d.term, d.df, m.chunks FROM term_df d, corpus_meta m "
                "WHERE d.term = ANY(%s)",
                (sorted(set(terms)),),
            ).fetchall()
            count = connection.execute("SELECT chunks FROM corpus_meta").fetchone()
            documents = connection.execute(
                "SELECT body FROM documents WHERE id = ANY(%s)", (doc_ids,)
            ).fetchall()
        chunk_count = int(count[0]) if count else 0
        dimension = self.embedding.dimension
        return PostgresView(
            documents={d.id: d for d in (Document.model_validate(row[0]) for row in documents)},
            sentences=_SentenceTable({row[0]: _sentence(row) for row in sentences}),
            sentence_vectors=_VectorTable(
                {row[0]: np.asarray(row[8], dtype=np.float32) for row in sentences}, dimension
            ),
            bm25=_TermTable(
                {term: float(np.log(1.0 + (n - df + 0.5) / (df + 0.5))) for term, df, n in known},
                chunk_count,
            ),
        )

    def documents(self) -> list[Document]:
        with self._connection() as connection:
            rows = connection.execute("SELECT body FROM documents ORDER BY key").fetchall()
        return [Document.model_validate(row[0]) for row in rows]

    def document(self, doc_id: str) -> Document | None:
        with self._connection() as connection:
            row = connection.execute(
                "SELECT body FROM documents WHERE id = %s", (doc_id,)
            ).fetchone()
        return None if row is None else Document.model_validate(row[0])

    def status(self) -> _Status:
        meta = self.meta()
        if meta is None or meta.embedding is None:
            raise StoreUnavailableError(f"the database holds no index: {REBUILD}")
        return _Status(
            backend=self.backend,
            documents=meta.documents,
            chunks=meta.chunks,
            built_at=meta.built_at,
            embedding=meta.embedding,
            version=meta.version,
            extra={"schema_version": self.schema_version(), "version": meta.version},
        )

    def document_versions(self) -> dict[str, tuple[str, str]]:
        """Every stored document's id -> (content hash, build identity)."""
        with self._connection() as connection:
            rows = connection.execute("SELECT id, content_hash, identity FROM documents")
            return {row[0]: (row[1], row[2]) for row in rows}

    # -- writing ---------------------------------------------------------------------------

    def upsert_document(self, indexed: IndexedDocument) -> None:
        """Insert the document, or replace every row of the one with its id, in one
        transaction: readers see the old version or the new one, never a mix."""
        document = indexed.document
        lengths = [max(1, len(terms)) for terms in indexed.chunk_terms]
        with self._connection() as connection, connection.transaction():
            _writing(connection)
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (document.id,))
            self._delete(connection, document.id)
            row = connection.execute(
                "INSERT INTO documents (id, content_hash, identity, body) "
                "VALUES (%s, %s, %s, %s) RETURNING key",
                (
                    document.id,
                    document.content_hash,
                    indexed.identity,
                    document.model_dump_json(),
                ),
            ).fetchone()
            assert row is not None
            key = int(row[0])
            base = key << ROW_BITS
            if max(len(indexed.chunks), len(indexed.sentences)) >= 1 << ROW_BITS:
                raise ValueError(f"{document.id} has more than {1 << ROW_BITS} rows")
            with connection.cursor().copy(
                "COPY chunks (row_id, doc_key, id, section, start_offset, end_offset, text, "
                "tokens, first_sentence, last_sentence, length, embedding) FROM STDIN"
            ) as copy:
                for chunk, vector, length in zip(
                    indexed.chunks, indexed.chunk_vectors, lengths, strict=True
                ):
                    first, last = chunk.sentence_rows
                    copy.write_row(
                        (
                            base + chunk.row,
                            key,
                            chunk.id,
                            chunk.section,
                            chunk.start,
                            chunk.end,
                            chunk.text,
                            chunk.tokens,
                            base + first,
                            base + last,
                            length,
                            _vector_literal(vector),
                        )
                    )
            postings = [
                (term, base + chunk.row, tf, length)
                for chunk, terms, length in zip(
                    indexed.chunks, indexed.chunk_terms, lengths, strict=True
                )
                for term, tf in Counter(t for t in terms if t).items()
            ]
            with connection.cursor().copy(
                "COPY chunk_terms (term, row_id, tf, length) FROM STDIN"
            ) as copy:
                for posting in postings:
                    copy.write_row(posting)
            with connection.cursor().copy(
                "COPY sentences (row_id, doc_key, section, start_offset, end_offset, text, "
                "terms, tokens, embedding) FROM STDIN"
            ) as copy:
                for sentence, vector in zip(
                    indexed.sentences, indexed.sentence_vectors, strict=True
                ):
                    copy.write_row(
                        (
                            base + sentence.row,
                            key,
                            sentence.section,
                            sentence.start,
                            sentence.end,
                            sentence.text,
                            list(sentence.terms),
                            sentence.tokens,
                            _vector_literal(vector),
                        )
                    )
            frequencies = Counter(term for term, _, _, _ in postings)
            bounds: dict[str, tuple[int, int]] = {}
            for term, _, tf, length in postings:
                most_tf, least_length = bounds.get(term, (tf, length))
                bounds[term] = (max(most_tf, tf), min(least_length, length))
            self._count_terms(connection, frequencies, +1, bounds)
            connection.execute(
                "UPDATE corpus_meta SET chunks = chunks + %s, total_length = total_length + %s, "
                "version = version + 1",
                (len(indexed.chunks), sum(lengths)),
            )

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and all its rows in one transaction; False when there was none."""
        with self._connection() as connection, connection.transaction():
            _writing(connection)
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (doc_id,))
            deleted = self._delete(connection, doc_id)
            if deleted:
                connection.execute("UPDATE corpus_meta SET version = version + 1")
            return deleted

    def set_meta(
        self,
        embedding: EmbeddingInfo,
        analysis: AnalyzerInfo,
        chunking: dict[str, Any],
        query_encoders: Mapping[EncoderKind, QueryEncoderInfo],
    ) -> None:
        """Record how the stored vectors were made (read by every replica when it starts)."""
        with self._connection() as connection:
            connection.execute(
                "UPDATE corpus_meta SET embedding = %s, analysis = %s, chunking = %s, "
                "query_encoders = %s, built_at = %s, version = version + 1",
                (
                    embedding.model_dump_json(),
                    json.dumps({"name": analysis.name, "version": analysis.version}),
                    json.dumps(chunking),
                    json.dumps({k: v.model_dump() for k, v in query_encoders.items()}),
                    datetime.now(UTC),
                ),
            )
        self._embedding = embedding

    def _delete(self, connection: psycopg.Connection[Any], doc_id: str) -> bool:
        row = connection.execute("SELECT key FROM documents WHERE id = %s", (doc_id,)).fetchone()
        if row is None:
            return False
        key = int(row[0])
        frequencies = Counter(
            {
                term: int(df)
                for term, df in connection.execute(
                    "SELECT t.term, count(*) FROM chunk_terms t JOIN chunks c USING (row_id) "
                    "WHERE c.doc_key = %s GROUP BY t.term",
                    (key,),
                )
            }
        )
        self._count_terms(connection, frequencies, -1)
        connection.execute(
            "UPDATE corpus_meta SET chunks = chunks - s.n, total_length = total_length - s.l "
            "FROM (SELECT count(*) AS n, coalesce(sum(length), 0) AS l FROM chunks "
            "WHERE doc_key = %s) AS s",
            (key,),
        )
        connection.execute("DELETE FROM documents WHERE key = %s", (key,))
        return True

    @staticmethod
    def _count_terms(
        connection: psycopg.Connection[Any],
        frequencies: Counter[str],
        sign: int,
        bounds: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        """Add (or take away) document frequencies, and widen the terms' (max tf, min length)
        by `bounds`, in term order so that concurrent writers lock rows in the same order."""
        if not frequencies:
            return
        terms = sorted(frequencies)
        counts = [sign * frequencies[t] for t in terms]
        widen = [bounds.get(t, (None, None)) if bounds else (None, None) for t in terms]
        connection.execute(
            "INSERT INTO term_df (term, df, max_tf, min_length) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::int[], %s::int[]) ORDER BY 1 "
            "ON CONFLICT (term) DO UPDATE SET df = term_df.df + EXCLUDED.df, "
            "max_tf = greatest(term_df.max_tf, EXCLUDED.max_tf), "
            "min_length = least(term_df.min_length, EXCLUDED.min_length)",
            (terms, counts, [w[0] for w in widen], [w[1] for w in widen]),
        )
        if sign < 0:
            connection.execute("DELETE FROM term_df WHERE term = ANY(%s) AND df <= 0", (terms,))


def _writing(connection: psycopg.Connection[Any]) -> None:
    """Writes are not held to the readers' statement timeout: a long document (HNSW inserts)
    or a migration may take longer."""
    connection.execute("SET LOCAL statement_timeout = 0")


def _pool(settings: IndexSettings) -> ConnectionPool:
    assert settings.database_url is not None
    return ConnectionPool(
        settings.database_url.get_secret_value(),
        min_size=1,
        max_size=settings.database_pool_size,
        timeout=settings.database_timeout,
        check=ConnectionPool.check_connection,  # a connection broken by a restart is replaced
        kwargs={
            "connect_timeout": max(1, round(settings.database_timeout)),
            "options": f"-c statement_timeout={round(settings.database_timeout * 1000)} "
            f"-c hnsw.ef_search={settings.hnsw_ef_search}",
        },
        open=True,
        name="grounded-qa",
    )


def _vector_literal(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector.tolist()) + "]"


def _ranking(rows: Sequence[tuple[int, float]]) -> Ranking:
    return (
        np.asarray([row[1] for row in rows], dtype=np.float32),
        np.asarray([row[0] for row in rows], dtype=np.int64),
    )


def _chunk(row: tuple[Any, ...]) -> Chunk:
    return Chunk.model_validate(dict(zip(Chunk.model_fields, row, strict=True)))


def _sentence(row: tuple[Any, ...]) -> Sentence:
    return Sentence.model_validate(dict(zip(Sentence.model_fields, row[:8], strict=True)))
