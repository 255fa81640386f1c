"""HTTP side of the error tree: every error a request can meet, mapped to a status in one place.

    QAError (qa_service.pipeline)        a request the service cannot serve
    ├── DocumentNotFoundError            404 not_found
    ├── ServiceNotReadyError             503 not_ready, with Retry-After
    ├── UnauthorizedError                401 unauthorized, with WWW-Authenticate
    ├── ForbiddenError                   403 forbidden
    ├── RateLimitedError                 429 rate_limited, with Retry-After
    ├── OverloadedError                  503 overloaded, with Retry-After
    ├── StoreUnavailableError            503 store_unavailable, with Retry-After: the database
    │                                    (RAG_DATABASE_URL) cannot be reached; no restart needed
    ├── AnswererUnavailableError         503 model_unavailable: the language model failed
    │   └── AnswererRateLimitedError     429 rate_limited: the language model's own limit
    ├── JobNotFoundError                 404 not_found: no indexing job has the id
    └── UnsupportedMediaTypeError        415 unsupported_media_type: a document write's body

    DocumentWriteError (indexer.updating)  a document change that was not made; nothing changed
    ├── DocumentRejectedError            422 document_rejected: unreadable, unsupported, bad id
    ├── DocumentExistsError              409 conflict: the id is taken, or the last document
    └── DocumentMissingError             404 not_found

Starlette's own HTTP errors (unknown route, wrong method) and request validation errors keep
their status and get the same JSON body, `ErrorBody`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from corpus import CorpusError
from indexer.artifact import IndexLoadError, IndexMismatchError, IndexMissingError
from indexer.embedding import ModelError
from indexer.store import StoreUnavailableError as StoreReadError
from indexer.updating import (
    DocumentExistsError,
    DocumentMissingError,
    DocumentRejectedError,
    DocumentWriteError,
)
from qa_service.limits import retry_after
from qa_service.metrics import Metrics
from qa_service.pipeline import (
    AnswererRateLimitedError,
    AnswererUnavailableError,
    DocumentNotFoundError,
    QAError,
    StoreUnavailableError,
)
from qa_service.schemas import ErrorBody

logger = logging.getLogger(__name__)

STORE_RETRY_SECONDS = 2  # a database restart or fail-over takes seconds


class RetryLaterError(QAError):
    """An error the same request may not meet in `retry_seconds` (sent as Retry-After)."""

    def __init__(self, message: str, retry_seconds: float = 5) -> None:
        super().__init__(message)
        self.retry_seconds = retry_seconds


class ServiceNotReadyError(RetryLaterError):
    pass


class RateLimitedError(RetryLaterError):
    pass


class OverloadedError(RetryLaterError):
    pass


class UnauthorizedError(QAError):
    """No valid key; `challenge` is the WWW-Authenticate scheme (Basic makes browsers prompt)."""

    def __init__(self, message: str, challenge: str = "Bearer") -> None:
        super().__init__(message)
        self.challenge = challenge


class ForbiddenError(QAError):
    pass


class JobNotFoundError(QAError):
    pass


class UnsupportedMediaTypeError(QAError):
    pass


_STATUS: dict[type[Exception], tuple[int, str]] = {
    DocumentNotFoundError: (404, "not_found"),
    ServiceNotReadyError: (503, "not_ready"),
    UnauthorizedError: (401, "unauthorized"),
    ForbiddenError: (403, "forbidden"),
    RateLimitedError: (429, "rate_limited"),
    OverloadedError: (503, "overloaded"),
    AnswererUnavailableError: (503, "model_unavailable"),
    StoreUnavailableError: (503, "store_unavailable"),
    AnswererRateLimitedError: (429, "rate_limited"),
    JobNotFoundError: (404, "not_found"),
    UnsupportedMediaTypeError: (415, "unsupported_media_type"),
    DocumentRejectedError: (422, "document_rejected"),
    DocumentExistsError: (409, "conflict"),
    DocumentMissingError: (404, "not_found"),
}


def startup_failure(error: Exception) -> str:
    """What /readyz and 503s say about a failed start: what to do, never a path (the log has it)."""
    if isinstance(error, IndexMissingError):
        return "there is no index yet: build it with `rag-index build`, then restart the service"
    if isinstance(error, IndexMismatchError):
        return (
            "the index was built by another version or with another embedding model: rebuild "
            "it with `rag-index build`, then restart the service"
        )
    if isinstance(error, IndexLoadError):
        return (
            "the index is incomplete, damaged or unreadable (the server log names the file): "
            "rebuild it with `rag-index build`, then restart the service"
        )
    if isinstance(error, StoreReadError):
        return (
            "the database at RAG_DATABASE_URL cannot be reached: check that PostgreSQL is up; "
            "the service connects by itself once it answers (no restart needed), retry shortly"
        )
    if isinstance(error, ModelError):
        return (
            "the embedding model cannot be loaded (the server log says why): check "
            "RAG_EMBEDDING_MODEL, then restart the service"
        )
    if isinstance(error, CorpusError):
        return (
            "the corpus cannot be read (the server log names the file): fix it, then restart "
            "the service"
        )
    return "the service failed to start (the server log says why): fix it, then restart"


def error_body(request: Request, error: str, detail: Any) -> dict[str, Any]:
    return ErrorBody(
        error=error, detail=detail, request_id=getattr(request.state, "request_id", None)
    ).model_dump()


def http_status(error: QAError | DocumentWriteError) -> tuple[int, str, dict[str, str]]:
    """The status, error kind and headers (Retry-After, WWW-Authenticate) of a domain error."""
    status, kind = _STATUS.get(type(error), (400, "bad_request"))
    headers = {}
    if isinstance(error, RetryLaterError):
        headers["Retry-After"] = retry_after(error.retry_seconds)
    if isinstance(error, StoreUnavailableError):
        headers["Retry-After"] = retry_after(STORE_RETRY_SECONDS)
    if isinstance(error, AnswererUnavailableError):  # the model endpoint's own, if it gave one
        headers["Retry-After"] = retry_after(error.retry_after or 5)
    if isinstance(error, UnauthorizedError):
        headers["WWW-Authenticate"] = f'{error.challenge} realm="grounded-qa"'
    return status, kind, headers


def add_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    @app.exception_handler(QAError)
    @app.exception_handler(DocumentWriteError)
    async def domain_error(request: Request, error: QAError | DocumentWriteError) -> JSONResponse:
        status, kind, headers = http_status(error)
        metrics.errors.labels(kind).inc()
        return JSONResponse(
            error_body(request, kind, str(error)), status_code=status, headers=headers
        )

    @app.exception_handler(StoreReadError)
    async def store_unreachable(request: Request, error: StoreReadError) -> JSONResponse:
        """The database failed under a document write: the same 503 as under a question."""
        return await domain_error(request, StoreUnavailableError(str(error)))

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
        return JSONResponse(error_body(request, "invalid_request", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        metrics.errors.labels(kind).inc()
        return JSONResponse(
            error_body(request, kind, error.detail),
            status_code=error.status_code,
            headers=error.headers,
        )
