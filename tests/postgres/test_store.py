"""The PostgreSQL store against the index directory, on the same vectors: searches, answers,
schema migrations, and writes one document at a time."""

from __future__ import annotations

import pytest

from corpus import Document, Section
from eval.dataset import load_eval_set
from indexer.postgres import MIGRATIONS, PostgresStore
from indexer.store import DirectoryStore
from indexer.syncing import index_document
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest
from qa_service.settings import Settings

QUESTIONS = [item.question for item in load_eval_set().split("test")]


def _pg(service: QAService) -> PostgresStore:
    assert isinstance(service.store, PostgresStore)
    return service.store


def test_the_schema_is_migrated_once_and_recorded(pg_service: QAService) -> None:
    store = _pg(pg_service)
    assert store.schema_version() == MIGRATIONS[-1][0]
    assert store.migrate(384) == []  # a second build, or a second replica, changes nothing


def test_lexical_search_scores_as_the_index_directory_does(
    service: QAService, pg_service: QAService
) -> None:
    for question in QUESTIONS[:40]:
        terms = service.index.analyzer.terms(question)
        scores, rows = service.store.lexical_search(terms, 20)
        pg_scores, pg_rows = pg_service.store.lexical_search(terms, 20)
        expected = [c.id for c in service.store.chunks(rows.tolist())]
        found = [c.id for c in pg_service.store.chunks(pg_rows.tolist())]
        assert found == expected, question
        assert pg_scores == pytest.approx(scores, rel=1e-4), question


def test_dense_search_finds_the_exact_neighbours(service: QAService, pg_service: QAService) -> None:
    for question in QUESTIONS[:40]:
        vector = service.embed_query(question).vector
        _, rows = service.store.dense_search(vector, 10)
        pg_scores, pg_rows = pg_service.store.dense_search(vector, 10)
        expected = [c.id for c in service.store.chunks(rows.tolist())]
        assert [c.id for c in pg_service.store.chunks(pg_rows.tolist())] == expected, question
        assert list(pg_scores) == sorted(pg_scores, reverse=True)


def test_answers_cite_what_the_index_directory_cites(
    service: QAService, pg_service: QAService
) -> None:
    """The answer contract on the shipped corpus: the same answer, citations and passages."""
    assert isinstance(service.store, DirectoryStore)
    for question in QUESTIONS:
        request = AskRequest(question=question)
        expected, found = service.ask(request), pg_service.ask(request)
        assert found.answer == expected.answer, question
        assert found.abstained == expected.abstained, question
        assert found.citations == expected.citations, question
        assert [p.chunk_id for p in found.passages] == [p.chunk_id for p in expected.passages]


def test_documents_and_their_text_come_from_the_database(
    service: QAService, pg_service: QAService
) -> None:
    assert pg_service.documents() == service.documents()
    assert pg_service.document("no-such-document") is None
    status = pg_service.status()
    assert (status.backend, status.documents) == ("postgresql", len(service.documents()))
    assert status.chunks == len(service.index.chunks)


def _document(doc_id: str, sentence: str) -> Document:
    text = f"Zorblat\n\n{sentence}\n"
    start = text.index(sentence)
    section = Section(path="Zorblat", level=1, heading_start=0, start=start, end=len(text))
    return Document(
        id=doc_id,
        title="Zorblat",
        kind="markdown",
        source=f"{doc_id}.md",
        text=text,
        sections=(section,),
    )


def test_a_document_is_written_and_removed_in_one_transaction_each(
    pg_settings: Settings, pg_service: QAService
) -> None:
    store = _pg(pg_service)
    before = store.meta()
    assert before is not None
    document = _document("zorblat", "The Zorblat river is 1,234 kilometres long.")
    store.upsert_document(index_document(document, pg_service.embedder, pg_settings))
    response = pg_service.ask(AskRequest(question="How long is the Zorblat river?"))
    assert [c.doc_id for c in response.citations] == ["zorblat"]
    assert "1,234 kilometres" in response.answer
    after = store.meta()
    assert after is not None and after.documents == before.documents + 1
    assert after.version > before.version
    assert store.delete_document("zorblat")
    assert not store.delete_document("zorblat")
    gone = pg_service.ask(AskRequest(question="How long is the Zorblat river?"))
    assert "zorblat" not in {c.doc_id for c in gone.citations}
    restored = store.meta()
    assert restored is not None
    assert (restored.chunks, restored.total_length, restored.documents) == (
        before.chunks,
        before.total_length,
        before.documents,
    )
