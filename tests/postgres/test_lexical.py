"""BM25 in PostgreSQL: the pruned search returns exactly what summing every posting returns,
and what the index directory's bm25s scores, also after documents are replaced and removed."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from pydantic import SecretStr

from corpus import Document, Section
from indexer.chunking import Chunk, Sentence
from indexer.lexical import Bm25Index
from indexer.postgres import (
    LEXICAL_EXHAUSTIVE,
    MIGRATIONS,
    ROW_BITS,
    IndexedDocument,
    PostgresStore,
)
from indexer.settings import IndexSettings
from indexer.store import top_scores
from tests.postgres.conftest import Database

DIMENSION = 8
VOCABULARY = 2_000
CHUNKS_PER_DOCUMENT = 40


def _document(doc_id: str, rng: np.random.Generator) -> IndexedDocument:
    """A document of chunks of 5 to 60 Zipf-drawn terms (common terms repeat within a chunk)."""
    ranks = np.arange(1, VOCABULARY + 1)
    p = (1 / ranks) / (1 / ranks).sum()
    terms = [
        [f"w{w}" for w in rng.choice(VOCABULARY, size=int(rng.integers(5, 60)), p=p)]
        for _ in range(CHUNKS_PER_DOCUMENT)
    ]
    texts = [" ".join(t) for t in terms]
    text = "\n".join(texts)
    section = Section(path="Body", level=1, heading_start=0, start=0, end=len(text))
    document = Document(
        id=doc_id, title=doc_id, kind="text", source=doc_id, text=text, sections=(section,)
    )
    sentences, offset = [], 0
    for row, (chunk_text, chunk_terms) in enumerate(zip(texts, terms, strict=True)):
        span = {"start": offset, "end": offset + len(chunk_text), "text": chunk_text}
        sentences.append(
            Sentence(
                row=row,
                doc_id=doc_id,
                section="Body",
                terms=tuple(chunk_terms),
                tokens=len(chunk_terms),
                **span,
            )
        )
        offset += len(chunk_text) + 1
    chunks = [  # one sentence each
        Chunk(
            id=f"{doc_id}:{s.row}",
            sentence_rows=(s.row, s.row + 1),
            **s.model_dump(exclude={"terms"}),
        )
        for s in sentences
    ]
    vectors = rng.normal(size=(CHUNKS_PER_DOCUMENT, DIMENSION)).astype(np.float32)
    return IndexedDocument(document, "test", chunks, sentences, vectors, vectors, terms)


@pytest.fixture(scope="module")
def store(database: Database) -> Iterator[PostgresStore]:
    settings = IndexSettings(
        _env_file=None, database_url=SecretStr(database.create()), database_timeout=30
    )
    opened = PostgresStore.connect(settings, DIMENSION)
    yield opened
    opened.close()


def _queries(rng: np.random.Generator, n: int) -> list[list[str]]:
    """Questions of 1 to 7 terms: common and rare ones, repeated ones, unknown ones."""
    return [
        [f"w{w}" for w in rng.zipf(1.3, size=int(rng.integers(1, 8))) - 1]
        + (["unknown"] if i % 7 == 0 else [])
        for i in range(n)
    ]


def _check(
    store: PostgresStore, stored: dict[str, IndexedDocument], queries: list[list[str]]
) -> None:
    """Pruned == exhaustive (rows and scores), and both rank as bm25s over the same chunks."""
    bm25 = Bm25Index.build([t for indexed in stored.values() for t in indexed.chunk_terms])
    with store._connection() as connection:
        keys = dict(connection.execute("SELECT id, key FROM documents").fetchall())
    rows = [
        (keys[doc_id] << ROW_BITS) | chunk.row
        for doc_id, indexed in stored.items()
        for chunk in indexed.chunks
    ]
    for i, terms in enumerate(queries):
        k = (5, 20, 50)[i % 3]
        scores, found = store.lexical_search(terms, k)
        with store._connection() as connection:
            exhaustive = connection.execute(LEXICAL_EXHAUSTIVE, {"terms": terms, "k": k})
            reference = [row for row in exhaustive.fetchall() if row[1] > 0]
        assert found.tolist() == [row for row, _ in reference], terms
        reference_scores = [score for _, score in reference]
        assert scores == pytest.approx(reference_scores, rel=1e-6), terms
        expected_scores, expected_rows = top_scores(bm25.scores(terms), k)
        assert scores == pytest.approx(expected_scores, rel=1e-4), terms
        if len(scores):  # the same chunks above the last score (ties there may be broken apart)
            last = float(scores[-1]) * (1 + 1e-4)
            above = {
                row
                for row, score in zip(found.tolist(), scores.tolist(), strict=True)
                if score > last
            }
            expected = {
                rows[row]
                for row, score in zip(expected_rows.tolist(), expected_scores.tolist(), strict=True)
                if score > last
            }
            assert above == expected, terms


def test_the_pruned_search_is_exact_before_and_after_incremental_writes(
    store: PostgresStore,
) -> None:
    rng = np.random.default_rng(14)
    stored = {f"doc-{i:02d}": _document(f"doc-{i:02d}", rng) for i in range(30)}
    for indexed in stored.values():
        store.upsert_document(indexed)
    queries = _queries(rng, 150)
    _check(store, stored, queries)
    # Replace some documents, remove others, add new ones: N, the mean length and every df
    # move, and the ranking must follow them exactly.
    for doc_id in ["doc-03", "doc-11"]:
        stored[doc_id] = _document(doc_id, rng)
        store.upsert_document(stored[doc_id])
    for doc_id in ["doc-07", "doc-20", "doc-21"]:
        assert store.delete_document(doc_id)
        del stored[doc_id]
    for i in range(30, 34):
        stored[f"doc-{i:02d}"] = _document(f"doc-{i:02d}", rng)
        store.upsert_document(stored[f"doc-{i:02d}"])
    _check(store, stored, queries)
    # A database of schema 1 gets the bounds from its postings (migration 2): tight ones, and
    # the search stays exact with them.
    bounds = "SELECT term, max_tf, min_length FROM term_df ORDER BY term"
    with store._connection() as connection:
        widened = connection.execute(bounds).fetchall()
        connection.execute("UPDATE term_df SET max_tf = NULL, min_length = NULL")
        connection.execute(MIGRATIONS[1][2].split(";")[1])
        backfilled = connection.execute(bounds).fetchall()
    assert len(backfilled) == len(widened)
    for (term, most, least), (_, wide_most, wide_least) in zip(backfilled, widened, strict=True):
        assert most is not None and least is not None, term
        assert most <= wide_most and least >= wide_least, term
    assert backfilled != widened  # the deleted documents had widened some
    _check(store, stored, queries)
