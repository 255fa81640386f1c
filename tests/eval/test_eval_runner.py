"""The runner's plumbing against a fake app: in process (TestClient) and over HTTP (uvicorn)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from eval.errors import EvalError, GoldDataError, ServiceError
from eval.metrics.support import SupportScorer
from eval.records import ItemRecord
from eval.runner import TOP_K, ask, open_client, run_items
from tests.eval import eval_fake_service
from tests.eval.eval_fixtures import ITEMS, RESPONSES, item, texts

FAKE_APP = "tests.eval.eval_fake_service:app"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The fake app served by uvicorn on a free local port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(eval_fake_service.app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def run(url: str | None, scorer: SupportScorer) -> list[ItemRecord]:
    seen: list[str] = []
    with open_client(url, FAKE_APP) as client:
        records = run_items(client, ITEMS, texts(), scorer, lambda r: seen.append(r.item.id))
    assert seen == [fixture.id for fixture in ITEMS]
    return records


def test_in_process_and_http_give_the_same_records(scorer: SupportScorer, server_url: str) -> None:
    in_process = run(None, scorer)
    over_http = run(server_url, scorer)
    for local, remote in zip(in_process, over_http, strict=True):
        assert local.response == remote.response == RESPONSES[local.item.id]
        assert local.score == remote.score
        assert local.wall_ms > 0 and remote.wall_ms > 0
    assert [r.passed for r in in_process] == [True, True, False, True]


def test_requests_ask_for_ten_passages_and_carry_the_history(scorer: SupportScorer) -> None:
    eval_fake_service.requests.clear()
    run(None, scorer)
    follow_up = eval_fake_service.requests[3]
    assert follow_up == {
        "question": ITEMS[3].question,
        "top_k": TOP_K,
        "history": [
            {"role": "user", "content": "How much oil went via Turkey?"},
            {"role": "assistant", "content": "400,000 barrels [1]."},
        ],
    }
    assert {request["top_k"] for request in eval_fake_service.requests} == {10}


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (eval_fake_service.EXPLODE, "returned 500"),
        (eval_fake_service.GARBAGE, "not an AskResponse"),
        ("Not a fixture question?", "returned 404"),
    ],
)
def test_a_bad_reply_stops_the_run_naming_the_question(question: str, message: str) -> None:
    with (
        open_client(None, FAKE_APP) as client,
        pytest.raises(ServiceError, match=message) as raised,
    ):
        ask(client, item("q-bad", question))
    assert "q-bad" in str(raised.value)


def test_an_unreachable_url_says_how_to_fix_it() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with (
        open_client(f"http://127.0.0.1:{port}") as client,
        pytest.raises(ServiceError, match="cannot reach the service"),
    ):
        ask(client, ITEMS[0])


def test_an_app_that_fails_to_start_stops_the_run() -> None:
    with (
        pytest.raises(ServiceError, match="rag-index build"),
        open_client(None, "tests.eval.eval_fake_service:broken_app"),
    ):
        pass


def test_an_app_that_cannot_be_imported_says_so() -> None:
    with (
        pytest.raises(EvalError, match="--app module:attribute"),
        open_client(None, "no_such_module:app"),
    ):
        pass


def test_gold_quotes_are_checked_before_any_question_is_asked(scorer: SupportScorer) -> None:
    wrong_quote = ITEMS[0].evidence[0].model_copy(update={"quote": "not in the document"})
    broken = ITEMS[0].model_copy(update={"id": "q-broken", "evidence": (wrong_quote,)})
    eval_fake_service.requests.clear()
    with open_client(None, FAKE_APP) as client, pytest.raises(GoldDataError, match="verbatim"):
        run_items(client, [ITEMS[0], broken], texts(), scorer, lambda _: None)
    assert eval_fake_service.requests == []
