"""The HTTP API: thin routes over `QAService`, loaded once in the lifespan; uvicorn runs `app`."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from corpus import CorpusError, Document
from indexer.artifact import IndexLoadError
from indexer.embedding import ModelError
from qa_service.metrics import Metrics
from qa_service.middleware import RequestContextMiddleware
from qa_service.pipeline import DocumentNotFoundError, QAError, QAService
from qa_service.schemas import (
    STREAM_EVENTS,
    AskRequest,
    AskResponse,
    CitationsEvent,
    DeltaEvent,
    DocumentDetail,
    DocumentSummary,
    ErrorBody,
    PassagesEvent,
    SearchRequest,
    SearchResponse,
    SectionOutline,
)
from qa_service.settings import Settings, get_settings
from qa_service.widget import mount_widget

logger = logging.getLogger(__name__)

DESCRIPTION = """Answers questions from its documents only, and cites the exact passage behind
every sentence: for each citation, `GET /documents/{doc_id}` returns a text whose
`text[start:end]` equals the citation's `quote`. When the documents do not answer, the
response says so (`abstained: true`) instead of guessing."""


class ServiceNotReadyError(QAError):
    pass


_STATUS: dict[type[QAError], tuple[int, str]] = {
    DocumentNotFoundError: (404, "not_found"),
    ServiceNotReadyError: (503, "not_ready"),
}
_STREAM_DESCRIPTION = "Server-Sent Events, in this order:\n\n" + "\n".join(
    f"- `event: {name}`: {model.__doc__ or model.__name__} (data: `{model.__name__}`)"
    for name, model in STREAM_EVENTS.items()
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (413, "The body is over the size limit"),
        (422, "The question, top_k or history is missing, empty or malformed"),
        (503, "The index or model is not loaded: the detail says what to run"),
    )
}


def current_service(request: Request) -> QAService:
    """The loaded service; a dependency, so "not ready" is a 503 before any stream starts."""
    loaded: QAService | None = request.app.state.service
    if loaded is None:
        raise ServiceNotReadyError(
            request.app.state.startup_error or "the service is still loading; retry shortly"
        )
    return loaded


Service = Annotated[QAService, Depends(current_service)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _configure_logging(settings.log_level)
        app.state.service = None
        app.state.startup_error = None
        try:
            app.state.service = await run_in_threadpool(QAService, settings)
        except (IndexLoadError, ModelError, CorpusError) as error:
            app.state.startup_error = str(error)
            logger.error("the service is not ready: %s", error)
        yield

    app = FastAPI(
        title="Grounded QA",
        version=metadata.version("grounded-qa"),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
    app.add_middleware(
        RequestContextMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes
    )
    _add_error_handlers(app, metrics)

    @app.post("/ask", response_model=AskResponse, responses=_ERRORS, tags=["answers"])
    def ask(body: AskRequest, qa: Service) -> AskResponse:
        """Answer a question from the documents, with a citation on every sentence."""
        response = qa.ask(body)
        metrics.observe_answer(response.timings_ms, response.abstained)
        return response

    @app.post(
        "/ask/stream",
        response_class=EventSourceResponse,
        responses=_ERRORS,
        tags=["answers"],
        description=_STREAM_DESCRIPTION,
    )
    async def ask_stream(
        body: AskRequest, qa: Service, request: Request
    ) -> AsyncIterator[ServerSentEvent]:
        """The `/ask` answer as Server-Sent Events: passages, answer pieces, citations, done."""
        try:
            response = await run_in_threadpool(qa.ask, body)
        except Exception as error:
            logger.exception("answering failed mid-stream")
            metrics.errors.labels("stream").inc()
            failure = ErrorBody(
                error="internal_error",
                detail=f"answering failed ({error.__class__.__name__}); retry the question",
                request_id=request.state.request_id,
            )
            yield ServerSentEvent(event="error", data=failure)
            return
        metrics.observe_answer(response.timings_ms, response.abstained)
        yield ServerSentEvent(
            event="passages", data=PassagesEvent(query=response.query, passages=response.passages)
        )
        for piece in answer_pieces(response.answer):
            yield ServerSentEvent(event="delta", data=DeltaEvent(text=piece))
        yield ServerSentEvent(event="citations", data=CitationsEvent(citations=response.citations))
        yield ServerSentEvent(event="done", data=response)

    @app.post("/search", response_model=SearchResponse, responses=_ERRORS, tags=["answers"])
    def search(body: SearchRequest, qa: Service) -> SearchResponse:
        """Retrieve passages only (hybrid dense + BM25), without composing an answer."""
        return qa.search(body)

    @app.get("/documents", response_model=list[DocumentSummary], tags=["documents"])
    def documents(qa: Service) -> list[DocumentSummary]:
        """The documents answers are drawn from."""
        return [_summary(d) for d in qa.index.documents.values()]

    @app.get(
        "/documents/{doc_id}",
        response_model=DocumentDetail,
        responses={404: {"model": ErrorBody, "description": "No document has this id"}},
        tags=["documents"],
    )
    def document(doc_id: str, qa: Service) -> DocumentDetail:
        """A document's full text (what citation offsets point into) and its section outline."""
        found = qa.index.documents.get(doc_id)
        if found is None:
            raise DocumentNotFoundError(
                f"no document has the id {doc_id!r}: GET /documents lists the ids"
            )
        return DocumentDetail(
            **_summary(found).model_dump(),
            text=found.text,
            sections=[
                SectionOutline(path=s.path, level=s.level, start=s.start, end=s.end)
                for s in found.sections
            ],
        )

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is up (it may still be loading)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"model": ErrorBody}})
    def readyz(qa: Service) -> dict[str, Any]:
        """The model and a verified index are loaded: questions can be answered."""
        manifest = qa.index.manifest
        return {
            "status": "ready",
            "documents": manifest.counts["documents"],
            "chunks": manifest.counts["chunks"],
            "built_at": manifest.built_at,
            "embedding_model": manifest.embedding.name,
            "stale": qa.stale,
            "evidence_gate": {
                "calibrated": qa.roles.gate_setup.calibrated,
                "detail": qa.roles.gate_setup.detail,
            },
        }

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        """Prometheus text format: requests, errors, and latency per route and per stage."""
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    mount_widget(app)
    return app


def answer_pieces(answer: str, words: int = 4) -> list[str]:
    """The answer in pieces of a few words each, for streaming; they join back to `answer`."""
    tokens = re.findall(r"\S+\s*", answer)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [answer]


def _summary(document: Document) -> DocumentSummary:
    return DocumentSummary(
        id=document.id,
        title=document.title,
        kind=document.kind,
        source=document.source,
        chars=len(document.text),
    )


def _add_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    def body(request: Request, error: str, detail: Any) -> dict[str, Any]:
        return ErrorBody(
            error=error, detail=detail, request_id=getattr(request.state, "request_id", None)
        ).model_dump()

    @app.exception_handler(QAError)
    async def domain_error(request: Request, error: QAError) -> JSONResponse:
        status, kind = _STATUS.get(type(error), (400, "bad_request"))
        metrics.errors.labels(kind).inc()
        headers = {"Retry-After": "5"} if status == 503 else None
        return JSONResponse(body(request, kind, str(error)), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        metrics.errors.labels("invalid_request").inc()
        problems = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "message": (
                    f"the body is not valid JSON ({e.get('ctx', {}).get('error', 'parse error')})"
                    if e["type"] == "json_invalid"
                    else e["msg"]
                ),
                "type": e["type"],
            }
            for e in error.errors()
        ]
        return JSONResponse(body(request, "invalid_request", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        metrics.errors.labels(kind).inc()
        return JSONResponse(
            body(request, kind, error.detail), status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        metrics.errors.labels("internal_error").inc()
        return JSONResponse(
            body(request, "internal_error", "the service failed on this request; retry it"),
            status_code=500,
        )


def _configure_logging(level: str) -> None:
    """Log to stderr at RAG_LOG_LEVEL, unless the process (a CLI, a test) set logging up itself."""
    if logging.getLogger().handlers:
        return
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("qa_service").setLevel(level)
    logging.getLogger("indexer").setLevel(level)


app = create_app()
