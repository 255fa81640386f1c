"""Stateless replicas: two real uvicorn servers against one PostgreSQL answer alike, see each
other's writes at once (through the store, and through the document endpoints), follow each
other's indexing jobs (a dead replica's job reads as failed), and ride out the database going
away."""

from __future__ import annotations

import json
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

ADMIN = {"authorization": "Bearer admin-key"}
QUESTIONS = [
    "How long is the border between Iraq and Iran?",
    "When did Iraq invade Kuwait?",
    "What is the capital of Brazil?",
]


def _environment(pg_settings: Settings) -> dict[str, str]:
    """A replica's settings: the test database, short timeouts, an admin key."""
    assert pg_settings.database_url is not None
    return {
        "RAG_DATABASE_URL": pg_settings.database_url.get_secret_value(),
        "RAG_DATABASE_TIMEOUT": "2",
        "RAG_RATE_LIMIT_PER_MINUTE": "0",
        "RAG_ADMIN_API_KEYS": json.dumps(["admin-key"]),
        "RAG_BUILD_ENCODER": pg_settings.build_encoder,  # the encoder of the imported index
    }


@pytest.fixture(scope="module")
def replicas(
    pg_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    logs = tmp_path_factory.mktemp("replicas")
    env = _environment(pg_settings)
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


def _finished(server: LiveServer, accepted: httpx.Response) -> dict[str, Any]:
    """The job a write started, once it is done or failed, polled on `server` (any replica:
    a load balancer sends each poll anywhere)."""
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["location"] == f"/jobs/{accepted.json()['id']}"
    return _followed(server, accepted.json()["id"])


def _followed(server: LiveServer, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = httpx.get(f"{server.url}/jobs/{job_id}", headers=ADMIN, timeout=30)
        assert job.status_code == 200, job.text
        if job.json()["status"] in {"done", "failed"}:
            return job.json()  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("the job did not finish in 300 s")


def _pending(server: LiveServer) -> list[str]:
    ready = httpx.get(f"{server.url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    return [job["id"] for job in ready.json()["pending"]["jobs"]]


def test_a_document_uploaded_to_one_replica_is_cited_by_the_other_until_deleted_there(
    replicas: tuple[LiveServer, LiveServer],
) -> None:
    """Each job is followed on the replica that did not take the write."""
    first, second = replicas
    question = "How long is the Vorbeck causeway?"
    text = "# The Vorbeck causeway\n\nThe Vorbeck causeway is 31 kilometres long.\n"
    assert "vorbeck" not in {c["doc_id"] for c in _ask(second, question).json()["citations"]}
    upload = {"files": ("vorbeck.md", text.encode(), "text/markdown")}
    unauthorised = httpx.post(f"{first.url}/documents", files=upload, timeout=60)
    assert unauthorised.status_code == 401
    job = _finished(
        second, httpx.post(f"{first.url}/documents", files=upload, headers=ADMIN, timeout=60)
    )
    assert job["status"] == "done", job["error"]
    assert job["embedded"] and job["embedded"] > 0
    try:
        body = _ask(second, question).json()
        assert [c["doc_id"] for c in body["citations"]] == ["vorbeck"]
        assert "31 kilometres" in body["answer"]
        stored = httpx.get(f"{second.url}/documents/vorbeck", timeout=30).json()
        assert stored["title"] == "The Vorbeck causeway"
        citation = body["citations"][0]
        assert stored["text"][citation["start"] : citation["end"]] == citation["quote"]
        again = httpx.post(f"{second.url}/documents", files=upload, headers=ADMIN, timeout=60)
        assert again.status_code == 409  # B sees the id A stored
        bad = httpx.post(
            f"{second.url}/documents",
            files={"files": ("empty.md", b" \n", "text/markdown")},
            headers=ADMIN,
            timeout=60,
        )
        assert bad.status_code == 422 and "has no text" in bad.json()["detail"]
    finally:
        deleted = _finished(
            first, httpx.delete(f"{second.url}/documents/vorbeck", headers=ADMIN, timeout=60)
        )
    assert deleted["status"] == "done", deleted["error"]
    assert httpx.get(f"{second.url}/jobs/{job['id']}", headers=ADMIN, timeout=30).json() == job
    assert "vorbeck" not in {c["doc_id"] for c in _ask(first, question).json()["citations"]}
    assert httpx.get(f"{first.url}/documents/vorbeck", timeout=30).status_code == 404
    missing = httpx.delete(f"{first.url}/documents/vorbeck", headers=ADMIN, timeout=60)
    assert missing.status_code == 404


def test_an_unknown_job_is_a_404_that_says_what_the_database_keeps(
    replicas: tuple[LiveServer, LiveServer],
) -> None:
    missing = httpx.get(f"{replicas[0].url}/jobs/0123456789abcdef", headers=ADMIN, timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert "the database keeps the last 1000 finished jobs" in missing.json()["detail"]


def test_a_job_whose_replica_died_reads_failed_on_the_others_and_can_be_sent_again(
    replicas: tuple[LiveServer, LiveServer],
    pg_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    first, second = replicas
    log = tmp_path_factory.mktemp("dying-replica") / "c.log"
    environment = {**_environment(pg_settings), "RAG_JOB_LEASE_SECONDS": "5"}
    dying = start_server(pg_settings.index_dir, log, None, "/readyz", **environment)
    lines = [f"Channel {i} of the Hawizeh marshes is {i + 3} kilometres long." for i in range(40)]
    document = {"id": "hawizeh", "text": "# The Hawizeh marshes\n\n" + " ".join(lines) + "\n"}
    try:
        # its first write loads the build encoder (seconds): the job is still unfinished when
        # the replica is killed
        accepted = httpx.post(f"{dying.url}/documents", json=document, headers=ADMIN, timeout=60)
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]
        seen = httpx.get(f"{second.url}/jobs/{job_id}", headers=ADMIN, timeout=30).json()
        assert seen["status"] in {"queued", "running"}, seen
        assert job_id in _pending(second)
    finally:
        dying.process.kill()
        dying.process.wait(timeout=30)
    failed = _followed(second, job_id)
    assert failed["status"] == "failed" and failed["finished_at"], failed
    assert "stopped renewing its lease" in failed["error"]
    assert "send the change again" in failed["error"]
    assert job_id not in _pending(first)
    assert httpx.get(f"{first.url}/documents/hawizeh", timeout=30).status_code == 404
    again = _finished(
        first, httpx.post(f"{second.url}/documents", json=document, headers=ADMIN, timeout=60)
    )
    assert again["status"] == "done", again["error"]
    deleted = _finished(
        second, httpx.delete(f"{first.url}/documents/hawizeh", headers=ADMIN, timeout=60)
    )
    assert deleted["status"] == "done", deleted["error"]


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
        write = httpx.post(
            f"{first.url}/documents",
            json={"id": "while-down", "text": "# Down\n\nThe database is away.\n"},
            headers=ADMIN,
            timeout=60,
        )
        assert write.status_code == 503 and write.json()["error"] == "store_unavailable"
        assert int(write.headers["retry-after"]) > 0
        job = httpx.get(f"{second.url}/jobs/0123456789abcdef", headers=ADMIN, timeout=60)
        assert job.status_code == 503 and job.json()["error"] == "store_unavailable"
        assert "retry" in job.json()["detail"] and int(job.headers["retry-after"]) > 0
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


def test_a_replica_started_while_the_database_is_down_serves_once_it_is_back(
    replicas: tuple[LiveServer, LiveServer],
    database: Database,
    pg_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    log = tmp_path_factory.mktemp("late-replica") / "c.log"
    database.stop()
    try:
        late = start_server(
            pg_settings.index_dir, log, None, "/healthz", **_environment(pg_settings)
        )
    except BaseException:
        database.start()
        raise
    try:
        try:
            ready = httpx.get(f"{late.url}/readyz", timeout=30)
            assert ready.status_code == 503 and ready.json()["error"] == "not_ready"
            assert "PostgreSQL is up" in ready.json()["detail"]
            assert "no restart needed" in ready.json()["detail"]
            assert int(ready.headers["retry-after"]) > 0
            asked = _ask(late, QUESTIONS[0])
            assert asked.status_code == 503 and asked.json()["error"] == "not_ready"
        finally:
            database.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if httpx.get(f"{late.url}/readyz", timeout=30).status_code == 200:
                break
            time.sleep(1)
        ready = httpx.get(f"{late.url}/readyz", timeout=30)
        assert ready.status_code == 200 and ready.json()["backend"] == "postgresql"
        answer = _ask(late, QUESTIONS[0])
        assert answer.status_code == 200
        assert _contract(answer.json()) == _contract(_ask(replicas[0], QUESTIONS[0]).json())
        assert "not ready" in log.read_text()  # the same process, never restarted
        assert late.process.poll() is None
    finally:
        stop_server(late)
