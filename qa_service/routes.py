"""The routes: thin handlers over `QAService` (answers, documents) and the operations endpoints."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from corpus import Document
from qa_service.dependencies import Service, question_slot, require_admin, require_read
from qa_service.errors import http_status
from qa_service.indexing import IndexJobs
from qa_service.metrics import Metrics
from qa_service.pipeline import DocumentNotFoundError, QAError
from qa_service.schemas import (
    STREAM_EVENTS,
    AskRequest,
    AskResponse,
    DocumentDetail,
    DocumentSummary,
    ErrorBody,
    SearchRequest,
    SearchResponse,
    SectionOutline,
)
from qa_service.streaming import stream_answer

logger = logging.getLogger(__name__)

_STREAM_DESCRIPTION = "Server-Sent Events, in this order:\n\n" + "\n".join(
    f"- `event: {name}`: {model.__doc__ or model.__name__} (data: `{model.__name__}`)"
    for name, model in STREAM_EVENTS.items()
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "An API key is needed (RAG_READ_API_KEYS is set) and none, or a wrong one, came"),
        (413, "The body is over the size limit"),
        (422, "The question, top_k or history is missing, empty or malformed"),
        (429, "Over the caller's rate limit: retry after Retry-After seconds"),
        (
            503,
            "Not ready (the index or model is not loaded) or answering as many questions as "
            "it can: retry after Retry-After seconds",
        ),
    )
}
_EVENT_NAMES = {model: name for name, model in STREAM_EVENTS.items()}
# Stream errors are JSON responses sent instead of the stream, not events.
_STREAM_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": error["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status, error in _ERRORS.items()
}
# Longest document id echoed back in a 404.
_ECHOED_ID_CHARS = 80

answers = APIRouter(tags=["answers"], dependencies=[Depends(require_read), Depends(question_slot)])
documents = APIRouter(tags=["documents"], dependencies=[Depends(require_read)])
operations = APIRouter(tags=["operations"])


def _metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


@answers.post("/ask", response_model=AskResponse, responses=_ERRORS)
async def ask(body: AskRequest, qa: Service, request: Request) -> AskResponse:
    """Answer a question from the documents, with a citation on every sentence."""
    # One trip to the thread pool: a sync route would take a second one to check the response.
    response = await run_in_threadpool(qa.ask, body)
    _metrics(request).observe_answer(response.timings_ms, response.abstained, response.answerer)
    return response


@answers.post(
    "/ask/stream",
    response_class=EventSourceResponse,
    responses=_STREAM_ERRORS,
    description=_STREAM_DESCRIPTION,
)
async def ask_stream(
    body: AskRequest, qa: Service, request: Request
) -> AsyncIterator[ServerSentEvent]:
    """The `/ask` answer as Server-Sent Events: passages, answer pieces, citations, done."""
    metrics = _metrics(request)
    try:
        async for event in stream_answer(qa, body):
            if isinstance(event, AskResponse):
                metrics.observe_answer(event.timings_ms, event.abstained, event.answerer)
            yield ServerSentEvent(event=_EVENT_NAMES[type(event)], data=event)
    except QAError as error:  # the language model failed after the stream began
        _, kind, _ = http_status(error)
        metrics.errors.labels(kind).inc()
        failure = ErrorBody(error=kind, detail=str(error), request_id=request.state.request_id)
        yield ServerSentEvent(event="error", data=failure)
    except Exception as error:
        logger.exception("answering failed mid-stream")
        metrics.errors.labels("stream").inc()
        failure = ErrorBody(
            error="internal_error",
            detail=f"answering failed ({error.__class__.__name__}); retry the question",
            request_id=request.state.request_id,
        )
        yield ServerSentEvent(event="error", data=failure)


@answers.post("/search", response_model=SearchResponse, responses=_ERRORS)
async def search(body: SearchRequest, qa: Service) -> SearchResponse:
    """Retrieve passages only (hybrid dense + BM25), without composing an answer."""
    return await run_in_threadpool(qa.search, body)


@documents.get("/documents", response_model=list[DocumentSummary])
def list_documents(qa: Service) -> list[DocumentSummary]:
    """The documents answers are drawn from."""
    return [_summary(d) for d in qa.documents()]


@documents.get(
    "/documents/{doc_id}",
    response_model=DocumentDetail,
    responses={404: {"model": ErrorBody, "description": "No document has this id"}},
)
def document(doc_id: str, qa: Service) -> DocumentDetail:
    """A document's full text (what citation offsets point into) and its section outline."""
    found = qa.document(doc_id)
    if found is None:
        shown = doc_id if len(doc_id) <= _ECHOED_ID_CHARS else doc_id[:_ECHOED_ID_CHARS] + "…"
        raise DocumentNotFoundError(
            f"no document has the id {shown!r}: GET /documents lists the ids"
        )
    return DocumentDetail(
        **_summary(found).model_dump(),
        text=found.text,
        sections=[
            SectionOutline(path=s.path, level=s.level, start=s.start, end=s.end)
            for s in found.sections
        ],
        pages=list(found.pages),
    )


@operations.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (it may still be loading); answered on the event loop, never queued
    behind questions in the thread pool."""
    return {"status": "ok"}


@operations.get(
    "/readyz", responses={503: {"model": ErrorBody}}, dependencies=[Depends(require_read)]
)
def readyz(qa: Service, request: Request) -> dict[str, Any]:
    """The model and a verified index are loaded and the store answers: questions can be
    answered. `backend` says where the index is read from (`index-directory` or `postgresql`);
    for an index directory, `version` is the version served and `pending` the indexing jobs not
    done yet and what the corpus folder holds that the index does not (PostgreSQL: the jobs
    of every replica, whose lease has not run out; its corpus folder is not watched)."""
    status = qa.status()
    jobs: IndexJobs | None = getattr(request.app.state, "jobs", None)
    return {
        "status": "ready",
        "backend": status.backend,
        "version": qa.index.version if status.backend == "index-directory" else None,
        "pending": {
            "jobs": [job.model_dump() for job in jobs.pending()] if jobs else [],
            "on_disk": jobs.on_disk if jobs else [],
        },
        "documents": status.documents,
        "chunks": status.chunks,
        "built_at": status.built_at,
        "embedding_model": status.embedding.name,
        "stale": qa.stale,
        "evidence_gate": {
            "calibrated": qa.roles.gate_setup.calibrated,
            "detail": qa.roles.gate_setup.detail,
        },
    }


@operations.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(require_admin)])
async def prometheus(request: Request) -> PlainTextResponse:
    """Prometheus text format: requests, errors, and latency per route and per stage."""
    return PlainTextResponse(
        generate_latest(_metrics(request).registry), media_type=CONTENT_TYPE_LATEST
    )


def _summary(document: Document) -> DocumentSummary:
    return DocumentSummary(
        id=document.id,
        title=document.title,
        kind=document.kind,
        source=document.source,
        chars=len(document.text),
    )
