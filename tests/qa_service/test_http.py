"""The HTTP API through a real uvicorn server: streaming, limits, errors, CORS, concurrency."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.servers import LiveServer, start_server, stop_server

QUESTION = "How long is the border between Iraq and Iran?"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def parse_sse(body: str) -> list[tuple[str, Any]]:
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def valid_citations(client: httpx.Client, answer: dict[str, Any]) -> None:
    for citation in answer["citations"]:
        document = client.get(f"/documents/{citation['doc_id']}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
    used = sorted({int(m) for m in MARKER.findall(answer["answer"])})
    assert used == [c["marker"] for c in answer["citations"]]


def test_ask_answers_with_citations_that_check_out(client: httpx.Client) -> None:
    response = client.post("/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "answer",
        "abstained",
        "abstention_reason",
        "answerer",
        "citations",
        "dropped_claims",
        "passages",
        "query",
        "short_answer",
        "timings_ms",
    }
    assert "1,458 kilometers" in body["answer"] and not body["abstained"]
    assert len(body["passages"]) == 5
    assert {"embed", "dense", "bm25", "fusion", "answer", "total"} <= set(body["timings_ms"])
    valid_citations(client, body)
    assert response.headers["x-request-id"]


def test_the_stream_sends_every_event_in_order_and_equals_ask(client: httpx.Client) -> None:
    question = "Why did Saudi Arabia cut its financial aid to Sudan?"
    with client.stream("POST", "/ask/stream", json={"question": question}) as streamed:
        assert streamed.status_code == 200
        assert streamed.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(streamed.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "passages" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"} and len(names) > 4
    asked = client.post("/ask", json={"question": question}).json()
    streamed_answer = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert streamed_answer == done["answer"] == asked["answer"]
    assert events[-2][1]["citations"] == done["citations"] == asked["citations"]
    assert events[0][1]["passages"] == asked["passages"]


def test_a_follow_up_is_answered_in_context(client: httpx.Client) -> None:
    first = client.post("/ask", json={"question": QUESTION}).json()
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first["answer"]},
    ]
    follow_up = client.post("/ask", json={"question": "And with Kuwait?", "history": history})
    body = follow_up.json()
    assert "Kuwait" in body["query"] and "border" in body["query"]
    assert "240 k" in body["answer"]  # "a border of 240 kilometers"
    valid_citations(client, body)


def test_search_returns_passages_only(client: httpx.Client) -> None:
    body = client.post("/search", json={"query": "Algiers Agreements", "top_k": 3}).json()
    assert set(body) == {"passages", "query"} and len(body["passages"]) == 3
    passage = body["passages"][0]
    document = client.get(f"/documents/{passage['doc_id']}").json()
    assert document["text"][passage["start"] : passage["end"]] == passage["text"]


def test_documents_list_and_outline(client: httpx.Client) -> None:
    listed = client.get("/documents").json()
    assert {d["id"] for d in listed} == {"foreign-relations-of-iraq", "iraq-distancing-from-iran"}
    detail = client.get("/documents/iraq-distancing-from-iran").json()
    assert detail["sections"][0]["path"] == "Introduction"
    assert detail["chars"] == len(detail["text"])


LONG = "x" * 1001
BAD_INPUT: list[tuple[str, str, dict[str, Any] | bytes, int, str]] = [
    ("empty question", "/ask", {"question": ""}, 422, "body.question"),
    ("blank question", "/ask", {"question": "   \n\t"}, 422, "body.question"),
    ("question too long", "/ask", {"question": LONG}, 422, "body.question"),
    ("no question", "/ask", {"top_k": 3}, 422, "body.question"),
    ("question not a string", "/ask", {"question": 42}, 422, "body.question"),
    ("top_k zero", "/ask", {"question": "Iraq?", "top_k": 0}, 422, "body.top_k"),
    ("top_k too big", "/ask", {"question": "Iraq?", "top_k": 21}, 422, "body.top_k"),
    ("top_k not a number", "/ask", {"question": "Iraq?", "top_k": "five"}, 422, "body.top_k"),
    ("history not a list", "/ask", {"question": "Iraq?", "history": "hi"}, 422, "body.history"),
    (
        "history with a bad role",
        "/ask",
        {"question": "Iraq?", "history": [{"role": "system", "content": "x"}]},
        422,
        "body.history.0.role",
    ),
    (
        "history turn without content",
        "/ask",
        {"question": "Iraq?", "history": [{"role": "user"}]},
        422,
        "body.history.0.content",
    ),
    (
        "too many turns",
        "/ask",
        {"question": "Iraq?", "history": [{"role": "user", "content": "x"}] * 21},
        422,
        "body.history",
    ),
    ("unknown field", "/ask", {"question": "Iraq?", "colour": "red"}, 422, "body.colour"),
    ("malformed JSON", "/ask", b'{"question": ', 422, "not valid JSON"),
    ("not JSON at all", "/ask", b"question=Iraq", 422, "not valid JSON"),
    ("body over 64 KiB", "/ask", b'{"question": "' + b"x" * 70_000 + b'"}', 413, "over 65536"),
    ("stream with bad input", "/ask/stream", {"question": ""}, 422, "body.question"),
    ("search without query", "/search", {}, 422, "body.query"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "names"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_gets_a_clear_4xx(
    client: httpx.Client, path: str, body: dict[str, Any] | bytes, status: int, names: str
) -> None:
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == status
    error = response.json()
    assert error["error"] in {"invalid_request", "payload_too_large"}
    assert names in json.dumps(error["detail"])
    assert error["request_id"] == response.headers["x-request-id"]


def test_a_chunked_body_over_the_limit_is_refused(client: httpx.Client) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 4096

    response = client.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_unknown_document_and_route_are_404(client: httpx.Client) -> None:
    missing = client.get("/documents/nope")
    assert missing.status_code == 404 and "GET /documents" in missing.json()["detail"]
    assert client.get("/nowhere").status_code == 404
    assert client.get("/ask").status_code == 405


def test_cors_allows_only_listed_origins(client: httpx.Client, browser_origin: str) -> None:
    preflight = {"access-control-request-method": "POST"}
    allowed = client.options("/ask", headers={"origin": browser_origin, **preflight})
    assert allowed.headers["access-control-allow-origin"] == browser_origin
    refused = client.options("/ask", headers={"origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    simple = client.get("/healthz", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_a_client_request_id_is_echoed(client: httpx.Client) -> None:
    response = client.get("/healthz", headers={"x-request-id": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"


def test_health_readiness_and_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["stale"] == [] and ready["chunks"] > 100
    assert ready["evidence_gate"]["calibrated"] and "threshold" in ready["evidence_gate"]["detail"]
    client.post("/ask", json={"question": ""})
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'rag_requests_total{method="POST",route="/ask",status="200"}' in text
    assert 'rag_errors_total{kind="invalid_request"}' in text
    for stage in ("embed", "dense", "bm25", "fusion", "answer", "total"):
        assert f'rag_stage_seconds_count{{stage="{stage}"}}' in text
    assert 'rag_request_seconds_bucket{le="0.01",route="/ask"}' in text


def test_openapi_documents_examples_and_stream_events(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    ask = spec["paths"]["/ask"]["post"]
    assert "413" in ask["responses"] and "422" in ask["responses"]
    schemas = spec["components"]["schemas"]
    assert schemas["AskRequest"]["examples"][0]["question"]
    stream = spec["paths"]["/ask/stream"]["post"]
    for event in ("passages", "delta", "citations", "done", "error"):
        assert f"event: {event}" in stream["description"]


def test_32_concurrent_clients_are_all_answered_correctly(live_server: LiveServer) -> None:
    questions = {
        "How long is the border between Iraq and Iran?": "1,458",
        "Who is Iraq's minister of foreign affairs?": "Fuad Hussein",
        "When was the Baghdad Pact signed?": "1955",
        "What did Baghdad send when fires broke out in Latakia?": "firefighting teams",
    }

    def client_session(n: int) -> list[bool]:
        results = []
        with httpx.Client(base_url=live_server.url, timeout=60) as own:
            for i in range(10):
                question = list(questions)[(n + i) % len(questions)]
                # Vary the spacing so most requests miss the answer cache and do the full work.
                response = own.post("/ask", json={"question": f"{question}{' ' * n}"})
                body = response.json()
                results.append(
                    response.status_code == 200 and questions[question] in body["answer"]
                )
        return results

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = [ok for session in pool.map(client_session, range(32)) for ok in session]
    assert len(outcomes) == 320 and all(outcomes)


def test_a_service_without_an_index_is_alive_but_not_ready(tmp_path: Path) -> None:
    server = start_server(tmp_path / "no-index", tmp_path / "log", wait_for="/healthz")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as own:
            assert own.get("/healthz").status_code == 200
            ready = own.get("/readyz")
            assert ready.status_code == 503 and "rag-index build" in ready.json()["detail"]
            asked = own.post("/ask", json={"question": "Iraq?"})
            assert asked.status_code == 503 and asked.headers["retry-after"]
            streamed = own.post("/ask/stream", json={"question": "Iraq?"})
            assert streamed.status_code == 503  # an error response, not an empty stream
            assert streamed.json()["error"] == "not_ready"
            assert own.get("/documents").status_code == 503
    finally:
        stop_server(server)


def test_a_failure_while_answering_ends_the_stream_with_an_error_event(
    failing_app: TestClient,
) -> None:
    response = failing_app.post("/ask/stream", json={"question": QUESTION})
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["error"]
    assert events[0][1]["error"] == "internal_error" and "retry" in events[0][1]["detail"]
    assert events[0][1]["request_id"] == response.headers["x-request-id"]
