"""Stateless replicas: two real uvicorn servers against one PostgreSQL answer alike, see each
other's writes at once, and ride out the database going away."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from corpus import Document, Section
from indexer.postgres import PostgresStore
from indexer.syncing import index_document
from qa_service.pipeline import QAService
from qa_service.settings import Settings
from tests.postgres.conftest import Database
from tests.servers import LiveServer, start_server, stop_server

QUESTIONS = [
    "How long is the border between Iraq and Iran?",
    "When did Iraq invade Kuwait?",
    "What is the capital of Brazil?",
]


@pytest.fixture(scope="module")
def replicas(
    pg_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    assert pg_settings.database_url is not None
    logs = tmp_path_factory.mktemp("replicas")
    env = {
        "RAG_DATABASE_URL": pg_settings.database_url.get_secret_value(),
        "RAG_DATABASE_TIMEOUT": "2",
        "RAG_RATE_LIMIT_PER_MINUTE": "0",
    }
    first = start_server(pg_settings.index_dir, logs / "a.log", None, "/readyz", **env)
    try:
        second = start_server(pg_settings.index_dir, logs / "b.log", None, "/readyz", **env)
    except BaseException:
        stop_server(first)
        raise
    yield first, second
    stop_server(first)
    stop_server(second)


def _ask(server: LiveServer, question: str) -> httpx.Response:
    return httpx.post(f"{server.url}/ask", json={"question": question}, timeout=60)


def _contract(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "timings_ms"}


def test_replicas_give_the_same_answers(replicas: tuple[LiveServer, LiveServer]) -> None:
    first, second = replicas
    ready = httpx.get(f"{first.url}/readyz", timeout=30).json()
    assert ready["backend"] == "postgresql"
    for question in QUESTIONS:
        a, b = _ask(first, question), _ask(second, question)
        assert a.status_code == b.status_code == 200
        assert _contract(a.json()) == _contract(b.json())


def test_a_document_written_through_one_replica_is_answered_by_the_other(
    replicas: tuple[LiveServer, LiveServer], pg_settings: Settings, pg_service: QAService
) -> None:
    first, second = replicas
    text = "Quuxland\n\nThe Quuxland canal is 77 kilometres long.\n"
    start = text.index("The Quuxland")
    section = Section(path="Quuxland", level=1, heading_start=0, start=start, end=len(text))
    document = Document(
        id="quuxland",
        title="Quuxland",
        kind="markdown",
        source="quuxland.md",
        text=text,
        sections=(section,),
    )
    question = "How long is the Quuxland canal?"
    assert "quuxland" not in {c["doc_id"] for c in _ask(second, question).json()["citations"]}
    store = pg_service.store
    assert isinstance(store, PostgresStore)
    store.upsert_document(index_document(document, pg_service.embedder, pg_settings))
    try:
        for server in (second, first):
            body = _ask(server, question).json()
            assert [c["doc_id"] for c in body["citations"]] == ["quuxland"], server.url
            document_text = httpx.get(f"{server.url}/documents/quuxland", timeout=30).json()
            citation = body["citations"][0]
            assert document_text["text"][citation["start"] : citation["end"]] == citation["quote"]
    finally:
        store.delete_document("quuxland")
    assert httpx.get(f"{second.url}/documents/quuxland", timeout=30).status_code == 404


def test_the_database_going_away_is_a_503_and_coming_back_needs_no_restart(
    replicas: tuple[LiveServer, LiveServer], database: Database
) -> None:
    first, second = replicas
    database.stop()
    try:
        down = _ask(first, QUESTIONS[0])
        assert down.status_code == 503
        assert down.json()["error"] == "store_unavailable"
        assert "retry" in down.json()["detail"]
        assert int(down.headers["retry-after"]) > 0
        assert httpx.get(f"{second.url}/readyz", timeout=30).status_code == 503
        assert httpx.get(f"{second.url}/healthz", timeout=30).status_code == 200
    finally:
        database.start()
    deadline = time.monotonic() + 60
    statuses = []
    while time.monotonic() < deadline:
        statuses = [_ask(server, QUESTIONS[0]).status_code for server in (first, second)]
        if statuses == [200, 200]:
            break
        time.sleep(1)
    assert statuses == [200, 200]
    assert httpx.get(f"{first.url}/readyz", timeout=30).status_code == 200
