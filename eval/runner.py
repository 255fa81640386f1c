"""Eval items -> POST /ask, in process or over HTTP -> scored per-question records.

In process, the app runs inside `fastapi.testclient.TestClient`, with its lifespan; with a URL,
an `httpx.Client` talks to a running service. Both send and parse the same JSON through
`AskClient`. Questions are asked one at a time, so wall times are those of an unloaded service.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, Protocol, cast

import httpx
from pydantic import ValidationError
from starlette.types import ASGIApp

from eval.dataset import EvalItem
from eval.errors import EvalError, ServiceError
from eval.metrics.spans import DocumentTexts, locate_evidence
from eval.metrics.support import SupportScorer
from eval.records import ItemRecord
from eval.scoring import score_item
from qa_service.schemas import AskRequest, AskResponse, Turn

DEFAULT_APP = "qa_service.main:app"
TOP_K = 10  # the answer does not depend on top_k; 10 passages give recall@10
TIMEOUT_S = 120.0


class Reply(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def content(self) -> bytes: ...


class AskClient(Protocol):
    """What the runner needs of a client: `httpx.Client` and the TestClient (built on httpx2)."""

    def post(self, url: str, *, json: Any) -> Reply: ...


@contextmanager
def open_client(url: str | None, app: ASGIApp | str = DEFAULT_APP) -> Iterator[AskClient]:
    """A client for the service at `url`, or for `app` (an app, or its `module:attribute`) run
    in process."""
    if url:
        with httpx.Client(base_url=url, timeout=TIMEOUT_S) as http_client:
            yield http_client
        return
    from fastapi.testclient import TestClient

    asgi_app = import_app(app) if isinstance(app, str) else app
    label = app if isinstance(app, str) else "the service"
    with ExitStack() as stack:
        try:
            # Server errors come back as 500 responses, as they would over HTTP; entering the
            # client runs the app's lifespan, which loads the index and the models.
            client = stack.enter_context(TestClient(asgi_app, raise_server_exceptions=False))
        except Exception as error:  # whatever the app raises at start-up stops the run here
            raise ServiceError(
                f"{label} failed to start in process ({type(error).__name__}: {error}): fix that "
                "first (is the index built? `rag-index build`), or pass --url of a running service"
            ) from error
        yield client


def import_app(path: str) -> ASGIApp:
    """The ASGI app at `module:attribute`, e.g. qa_service.main:app."""
    module_name, _, attribute = path.partition(":")
    try:
        app = getattr(importlib.import_module(module_name), attribute or "app")
    except (ImportError, AttributeError) as error:
        raise EvalError(
            f"cannot import the app {path!r} ({error}): pass --app module:attribute, "
            "or --url of a running service"
        ) from error
    if not callable(app):
        raise EvalError(f"{path} is not an ASGI app: pass --app module:attribute of one")
    return cast("ASGIApp", app)


def check_gold(items: Sequence[EvalItem], texts: DocumentTexts) -> None:
    """Fail before asking anything when a gold quote is not in the corpus."""
    for item in items:
        if item.answerable:
            for evidence in item.evidence:
                locate_evidence(evidence, texts)


def request_for(item: EvalItem) -> AskRequest:
    """The request the eval sends for an item: its question and history, ten passages."""
    return AskRequest(
        question=item.question,
        top_k=TOP_K,
        history=[Turn(role=turn.role, content=turn.content) for turn in item.history],
    )


def ask(client: AskClient, item: EvalItem) -> tuple[AskResponse, float]:
    """The service's answer to one item, and the request's wall time in milliseconds."""
    request = request_for(item)
    started = time.perf_counter()
    try:
        reply = client.post("/ask", json=request.model_dump(mode="json"))
    except httpx.HTTPError as error:
        raise ServiceError(
            f"cannot reach the service ({error}): start it, check --url, "
            "or drop --url to run the app in process"
        ) from error
    wall_ms = (time.perf_counter() - started) * 1000
    if reply.status_code != 200:
        raise ServiceError(
            f"POST /ask for {item.id} returned {reply.status_code}: {reply.text[:300]} "
            "(see the service's log; every eval question must get an answer or an abstention)"
        )
    try:
        return AskResponse.model_validate_json(reply.content), wall_ms
    except ValidationError as error:
        raise ServiceError(
            f"POST /ask for {item.id} returned a body that is not an AskResponse: {error}"
        ) from error


def run_items(
    client: AskClient,
    items: Sequence[EvalItem],
    texts: DocumentTexts,
    scorer: SupportScorer,
    on_record: Callable[[ItemRecord], None],
) -> list[ItemRecord]:
    """Ask and score each item in turn; `on_record` sees each record as soon as it exists."""
    check_gold(items, texts)
    records: list[ItemRecord] = []
    for item in items:
        response, wall_ms = ask(client, item)
        score = score_item(item, response, texts, scorer)
        record = ItemRecord(item=item, response=response, wall_ms=wall_ms, score=score)
        on_record(record)
        records.append(record)
    return records
