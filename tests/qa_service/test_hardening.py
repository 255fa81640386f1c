"""Production limits through a real `rag-serve` server: headers, slow clients, connection and
question caps, API keys, rate limits, security headers, error shapes, and bad state at start-up."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from indexer.building import BuildReport
from qa_service.settings import Settings
from tests.servers import LiveServer, start_server, stop_server

READ = {"authorization": "Bearer read-key"}
ADMIN = {"authorization": "Bearer admin-key"}
ALLOWED_ORIGIN = "https://docs.example"
LIMITS = {
    "RAG_READ_API_KEYS": json.dumps(["read-key", "burst-key"]),
    "RAG_ADMIN_API_KEYS": json.dumps(["admin-key"]),
    "RAG_CORS_ORIGINS": json.dumps([ALLOWED_ORIGIN]),
    "RAG_RATE_LIMIT_PER_MINUTE": "600",
    "RAG_RATE_LIMIT_BURST": "10",
    "RAG_MAX_CONCURRENT_QUESTIONS": "2",
    "RAG_MAX_CONNECTIONS": "16",
    "RAG_MAX_HEADER_BYTES": "8192",
    "RAG_MAX_HEADERS": "24",
    "RAG_REQUEST_TIMEOUT": "1",
    "RAG_CACHE_BYTES": "0",
}


@pytest.fixture(scope="module")
def server(
    settings: Settings, built_index: BuildReport, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("hardened") / "server.log"
    live = start_server(settings.index_dir, log, app="tests.qa_service.failing_app:app", **LIMITS)
    yield live
    stop_server(live)


@pytest.fixture()
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=READ, timeout=30) as own:
        yield own


def raw_request(server: LiveServer, request: bytes, wait: float = 10) -> bytes:
    """Send `request` as is on a fresh connection; everything the server sends until it closes."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as conn:
        conn.sendall(request)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


# 1. Headers


def test_a_huge_header_is_refused(server: LiveServer) -> None:
    header = b"X-Big: " + b"a" * 1_000_000 + b"\r\n"
    response = raw_request(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n")
    assert status_of(response) in {400, 431}


def test_thousands_of_headers_are_refused(server: LiveServer) -> None:
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(5000))
    response = raw_request(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert status_of(response) in {400, 431}


def test_more_headers_than_the_limit_get_a_431_naming_it(client: httpx.Client) -> None:
    response = client.get("/healthz", headers={f"x-extra-{i}": "1" for i in range(30)})
    assert response.status_code == 431
    assert "at most 24" in response.json()["detail"]


# 2. Slow clients and the connection cap


def test_a_client_dripping_its_headers_is_cut_off(server: LiveServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        received = b""
        for i in range(40):  # 12 s of dripping, far past RAG_REQUEST_TIMEOUT=1
            try:
                conn.sendall(b"X-Drip-%d: 1\r\n" % i)
            except OSError:
                break
            conn.settimeout(0.3)
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except ConnectionResetError:  # closed with headers of ours unread: cut off all the same
                break
            if not chunk:
                break
            received += chunk
    assert status_of(received) == 408 or received == b""
    assert i < 39, "the server kept a dripping connection open"


def test_a_slow_body_gets_a_408(server: LiveServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /ask HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer read-key\r\n"
            b"Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{"
        )
        received = b""
        while chunk := conn.recv(65536):  # the server closes the connection after its answer
            received += chunk
    assert status_of(received) == 408
    assert b"request_timeout" in received


def test_connections_over_the_cap_get_a_503_and_are_closed(server: LiveServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(24)]
    try:
        refused = []
        for conn in held:
            conn.settimeout(0.5)
            try:
                refused.append(conn.recv(4096))
            except TimeoutError:
                refused.append(b"")
        busy = [r for r in refused if status_of(r) == 503]
        assert len(busy) >= 24 - 16
        assert b"retry-after: 1" in busy[0].lower()
    finally:
        for conn in held:
            conn.close()
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


# 3 and 4. Load shedding; /healthz stays fast


def test_questions_beyond_the_cap_get_an_immediate_503_with_retry_after(
    server: LiveServer,
) -> None:
    def ask(n: int) -> httpx.Response:
        body = {"question": f"When was the Baghdad Pact signed?{' ' * n}"}
        return httpx.post(
            f"{server.url}/ask",
            json=body,
            headers={"authorization": f"Bearer {'read-key' if n % 2 else 'admin-key'}"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(ask, range(16)))
    shed = [r for r in responses if r.status_code == 503]
    answered = [r for r in responses if r.status_code == 200]
    assert shed and answered and len(shed) + len(answered) == 16
    assert all(r.json()["error"] == "overloaded" and r.headers["retry-after"] for r in shed)
    assert all("1955" in r.json()["answer"] for r in answered)


def test_health_is_answered_without_waiting_for_questions(server: LiveServer) -> None:
    """/healthz is answered on the event loop: with every thread of the pool that questions are
    answered in taken, it still answers, while a question waits for a thread (queued behind
    the questions, it would wait as long as they do: here, until the threads are given back)."""
    held = httpx.post(f"{server.url}/hold", timeout=30)
    assert held.status_code == 200 and held.json()["held"] > 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            question = pool.submit(
                httpx.post,
                f"{server.url}/ask",
                json={"question": "How long is the border between Iraq and Iran?"},
                headers={"authorization": "Bearer burst-key"},
                timeout=120,
            )
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
            assert not question.done(), "the question did not wait: the pool was not full"
        finally:
            released = httpx.post(f"{server.url}/release", timeout=30).json()["released"]
            assert released == held.json()["held"]
        assert question.result().status_code == 200


# 5. Bad state at start-up


def _copy_index(index_dir: Path, to: Path) -> Path:
    shutil.copytree(index_dir, to / "index")
    return to / "index"


def _manifest_is_a_directory(index: Path, corpus: Path) -> None:
    (index / "manifest.json").unlink()
    (index / "manifest.json").mkdir()


def _corpus_file_is_unreadable(index: Path, corpus: Path) -> None:
    # Root (CI) reads any file, so a directory stands in for an unreadable one: the same OSError.
    (corpus / "manifest.json").unlink()
    (corpus / "manifest.json").mkdir()


def _faiss_file_is_unreadable(index: Path, corpus: Path) -> None:
    (index / "chunks.faiss").write_bytes(b"not a faiss index")


@pytest.mark.parametrize(
    "damage",
    [_manifest_is_a_directory, _corpus_file_is_unreadable, _faiss_file_is_unreadable],
    ids=["manifest is a directory", "corpus file unreadable", "faiss file unreadable"],
)
def test_bad_state_at_start_up_is_not_ready_never_a_crash(
    settings: Settings, built_index: BuildReport, tmp_path: Path, damage: object
) -> None:
    index = _copy_index(settings.index_dir, tmp_path)
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    damage(index, corpus)  # type: ignore[operator]
    live = start_server(index, tmp_path / "log", wait_for="/healthz", RAG_CORPUS_DIR=str(corpus))
    try:
        ready = httpx.get(f"{live.url}/readyz", timeout=10)
        body = ready.json()
        text = json.dumps(body)
        assert str(tmp_path) not in text and "/" not in text.replace("/readyz", "")
        if ready.status_code == 503:
            assert "rag-index build" in body["detail"] or "server log" in body["detail"]
        else:  # a corpus it cannot read leaves the index servable, and marked stale
            assert ready.status_code == 200 and body["stale"]
        assert live.process.poll() is None
    finally:
        stop_server(live)


# 6. Keys and rate limits


def test_reading_needs_a_read_key_when_keys_are_set(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for method, path in [
            ("POST", "/ask"),
            ("POST", "/ask/stream"),
            ("POST", "/search"),
            ("GET", "/documents"),
            ("GET", "/documents/iraq-distancing-from-iran"),
            ("GET", "/readyz"),
            ("GET", "/openapi.json"),
        ]:
            refused = anonymous.request(method, path, json={"question": "Iraq?", "query": "x"})
            assert refused.status_code == 401, path
            assert refused.json()["error"] == "unauthorized"
            assert refused.headers["www-authenticate"].startswith("Bearer")
            wrong = anonymous.request(method, path, headers={"authorization": "Bearer nope"})
            assert wrong.status_code == 401, path
        docs = anonymous.get("/docs")
        assert docs.status_code == 401 and docs.headers["www-authenticate"].startswith("Basic")
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/documents", headers=READ).status_code == 200
        assert anonymous.get("/docs", auth=("any", "read-key")).status_code == 200
        assert anonymous.get("/documents", headers=ADMIN).status_code == 200


def test_metrics_need_an_admin_key(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    assert httpx.get(f"{server.url}/metrics", headers=READ).status_code == 403
    assert httpx.get(f"{server.url}/metrics", headers=ADMIN).status_code == 200


def test_a_caller_over_its_rate_limit_gets_429_with_retry_after(server: LiveServer) -> None:
    with httpx.Client(
        base_url=server.url, headers={"authorization": "Bearer burst-key"}, timeout=30
    ) as burst:
        time.sleep(1.5)  # a full bucket, whatever earlier tests spent
        statuses = []
        for _ in range(300):
            limited = burst.get("/documents/nope")
            statuses.append(limited.status_code)
            if limited.status_code != 404:
                break
    assert len(statuses) > 10 and set(statuses[:10]) == {404}
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate_limited"
    # Another key has its own budget.
    assert httpx.get(f"{server.url}/documents", headers=READ).status_code == 200


# 7. Security headers and an offline /docs


@pytest.mark.parametrize("path", ["/", "/widget.js", "/documents", "/docs", "/healthz"])
def test_security_headers_on_pages_scripts_and_the_api(client: httpx.Client, path: str) -> None:
    response = client.get(path, auth=("any", "read-key") if path == "/docs" else None)
    assert response.status_code == 200
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    if headers["content-type"].startswith("text/html"):
        script_src = csp.split("script-src", 1)[1].split(";", 1)[0]
        assert script_src.strip() == "'self'"


def test_docs_load_swagger_ui_from_the_service_itself(client: httpx.Client) -> None:
    page = client.get("/docs", auth=("any", "read-key")).text
    assert "cdn" not in page.lower() and "//" not in page.replace("<!doctype", "")
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "docs.js"]:
        assert f"/docs/assets/{asset}" in page
        assert client.get(f"/docs/assets/{asset}").status_code == 200


# 8. Errors


def test_a_500_carries_cors_and_request_id(server: LiveServer) -> None:
    response = httpx.get(
        f"{server.url}/fail", headers={"origin": ALLOWED_ORIGIN, "x-request-id": "r-500"}
    )
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["x-request-id"] == "r-500"
    assert response.json() == {
        "error": "internal_error",
        "detail": "the service failed on this request; retry it",
        "request_id": "r-500",
    }


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"question": "Iraq \xff\xfe?"}', "utf8_invalid"),
        (b'{"question": "Iraq?", "history": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", ""),
        (b'{"question": "Iraq?", "history": ' + b"[" * 2000 + b"]" * 2000 + b"}", "json_too_deep"),
    ],
    ids=["invalid UTF-8", "nesting over the body limit", "deep nesting"],
)
def test_unreadable_bodies_get_a_4xx_naming_the_problem(
    client: httpx.Client, body: bytes, kind: str
) -> None:
    response = client.post("/ask", content=body, headers={"content-type": "application/json"})
    if not kind:
        assert response.status_code == 413
        return
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["type"] == kind and problem["field"] == "body"


@pytest.mark.parametrize("top_k", ["5", True, 1e1, 5.0])
def test_top_k_must_be_an_integer(client: httpx.Client, top_k: object) -> None:
    for path, field in [("/ask", "question"), ("/search", "query")]:
        response = client.post(path, json={field: "Iraq?", "top_k": top_k})
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "body.top_k"


def test_a_404_never_echoes_a_huge_id(client: httpx.Client) -> None:
    response = client.get("/documents/" + "x" * 4_000)  # within the 8 KiB header limit
    assert response.status_code == 404
    assert len(response.content) < 400 and "GET /documents" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/", "/widget.js", "/healthz", "/readyz"])
def test_head_is_allowed_where_get_is(client: httpx.Client, path: str) -> None:
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == client.get(path).headers["content-type"]


def test_openapi_states_stream_errors_as_json(client: httpx.Client) -> None:
    reply = client.get("/openapi.json", headers=ADMIN)  # its own bucket: READ's may be spent
    assert reply.status_code == 200, reply.text
    stream = reply.json()["paths"]["/ask/stream"]["post"]
    for status in ("401", "413", "422", "429", "503"):
        assert list(stream["responses"][status]["content"]) == ["application/json"]


def test_a_413_is_counted_under_its_route(client: httpx.Client) -> None:
    client.post("/ask", content=b"x" * 70_000, headers={"content-type": "application/json"})
    metrics = client.get("/metrics", headers=ADMIN).text
    assert 'rag_requests_total{method="POST",route="/ask",status="413"}' in metrics


# 9. A page on an origin CORS refuses


def test_the_log_names_an_origin_that_cors_refuses(server: LiveServer) -> None:
    httpx.post(
        f"{server.url}/ask",
        json={"question": "Iraq?"},
        headers={**READ, "origin": "https://unlisted.example"},
        timeout=30,
    )
    time.sleep(0.5)
    log = server.log.read_text()
    assert "https://unlisted.example" in log and "RAG_CORS_ORIGINS" in log


def test_made_up_methods_do_not_grow_the_metrics(server: LiveServer) -> None:
    for number in range(5):
        request = f"BREW{number} /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        assert status_of(raw_request(server, request.encode())) == 405
    metrics = httpx.get(f"{server.url}/metrics", headers=ADMIN).text
    assert 'rag_requests_total{method="other",route="/healthz",status="405"} 5.0' in metrics
    assert "BREW" not in metrics
