"""The HTTP app: settings, the service loaded in the lifespan, middleware and routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from corpus import CorpusError
from indexer.artifact import CorpusIndex, IndexLoadError
from indexer.embedding import Embedder, ModelError, open_embedder
from indexer.store import StoreUnavailableError as StoreReadError
from indexer.updating import FolderIndexWriter
from qa_service import document_writes, routes
from qa_service.dependencies import Guards
from qa_service.docs import mount_docs
from qa_service.errors import add_error_handlers, startup_failure
from qa_service.examples import with_examples
from qa_service.indexing import IndexJobs
from qa_service.jobs import MemoryJobStore
from qa_service.mcp_server import mount_mcp
from qa_service.metrics import Metrics
from qa_service.middleware import (
    RequestContextMiddleware,
    RequestGuardMiddleware,
    SecurityHeadersMiddleware,
)
from qa_service.openai_api import openai_router
from qa_service.pipeline import QAService
from qa_service.settings import Settings, get_settings
from qa_service.widget import mount_widget

logger = logging.getLogger(__name__)

# A replica started while its database was down retries after 1, 2, 4 ... seconds, at most 15.
RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 15.0

DESCRIPTION = """Answers questions from its documents only, and cites the exact passage behind
every sentence: for each citation, `GET /documents/{doc_id}` returns a text whose
`text[start:end]` equals the citation's `quote`. When the documents do not answer, the
response says so (`abstained: true`) instead of guessing."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _configure_logging(settings.log_level)
        app.state.service = None
        app.state.startup_error = None
        reconnecting: asyncio.Task[None] | None = None
        try:
            app.state.service = await run_in_threadpool(QAService, settings)
        except Exception as error:  # any bad state on disk: stay up, and say so on /readyz
            app.state.startup_error = startup_failure(error)
            expected = isinstance(error, IndexLoadError | ModelError | CorpusError | StoreReadError)
            logger.error("the service is not ready: %s", error, exc_info=not expected)
            if isinstance(error, StoreReadError):
                reconnecting = asyncio.create_task(_load_when_reachable(app, settings))
        app.state.jobs = index_jobs(app, settings)
        app.state.jobs.start()
        try:
            async with mcp_sessions():
                yield
        finally:
            app.state.jobs.stop()
            if reconnecting is not None:
                reconnecting.cancel()

    app = FastAPI(
        title="Grounded QA",
        version=metadata.version("grounded-qa"),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.metrics = metrics
    app.state.guards = Guards(settings)
    _add_middleware(app, settings, metrics)
    add_error_handlers(app, metrics)
    app.include_router(routes.answers)
    app.include_router(routes.documents)
    app.include_router(document_writes.writes)
    app.include_router(routes.operations)
    app.include_router(openai_router(metrics))
    mcp_sessions = mount_mcp(app, settings)
    mount_docs(app)
    mount_widget(app)
    default_openapi = app.openapi

    def corpus_openapi() -> dict[str, Any]:
        """The API reference, its request examples asking about the loaded documents."""
        service: QAService | None = getattr(app.state, "service", None)
        schema = default_openapi()
        return with_examples(schema, service.documents()) if service else schema

    app.openapi = corpus_openapi  # type: ignore[method-assign]
    return app


async def _load_when_reachable(app: FastAPI, settings: Settings) -> None:
    """Load the service once the database (RAG_DATABASE_URL) answers, retrying with backoff:
    a replica started while it was down becomes ready without a restart."""
    delay = RECONNECT_FIRST_SECONDS
    embedder: Embedder | None = None
    while True:
        await asyncio.sleep(delay)
        try:
            if embedder is None:  # loaded once, not on every attempt
                embedder = await run_in_threadpool(
                    open_embedder, settings, settings.query_encoder, "query"
                )
            service = await run_in_threadpool(QAService, settings, embedder)
        except StoreReadError as error:
            delay = min(2 * delay, RECONNECT_MAX_SECONDS)
            logger.warning(
                "the database is still unreachable, retrying in %.0f s: %s", delay, error
            )
            continue
        except Exception as error:  # reachable, but not servable (no index, another model)
            app.state.startup_error = startup_failure(error)
            logger.error("the service is not ready: %s", error)
            return
        app.state.service = service
        app.state.startup_error = None
        logger.info("the database is reachable: the service is ready")
        return


def index_jobs(app: FastAPI, settings: Settings) -> IndexJobs:
    """The indexing jobs of the app: documents stored in the corpus folder, each new version
    installed as the app's service (requests keep the one they started with); or, with
    RAG_DATABASE_URL, written to PostgreSQL, where every replica reads them at once (and
    the jobs' status too)."""

    def current() -> QAService | None:
        service: QAService | None = app.state.service
        return service

    def install(service: QAService) -> None:
        app.state.service = service
        app.state.startup_error = None

    def served() -> CorpusIndex | None:
        service = current()
        return service.index if service else None

    def embedders() -> list[Embedder]:
        service = current()
        return [service.embedder] if service else []

    if settings.database_url is not None:
        from indexer.postgres import PostgresStore  # psycopg is an optional dependency
        from indexer.syncing import PostgresIndexWriter
        from qa_service.postgres_jobs import PostgresJobStore

        def store() -> PostgresStore | None:
            service = current()
            return service.store if service and isinstance(service.store, PostgresStore) else None

        writer = PostgresIndexWriter(settings, store, embedders)
        jobs = PostgresJobStore(store, settings.job_lease_seconds)
        return IndexJobs(settings, writer, current, install, jobs)
    folder = FolderIndexWriter(settings, embedders, served)
    return IndexJobs(settings, folder, current, install, MemoryJobStore())


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """Innermost first: the guard's errors pass through CORS, and every response gets headers."""
    app.add_middleware(
        RequestGuardMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_headers=settings.max_headers,
        body_timeout=settings.request_timeout,
        cors_origins=settings.cors_origins,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics, api=app)


def _configure_logging(level: str) -> None:
    """Log to stderr at RAG_LOG_LEVEL, unless the process (a CLI, a test) set logging up itself."""
    if logging.getLogger().handlers:
        return
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("qa_service").setLevel(level)
    logging.getLogger("indexer").setLevel(level)


app = create_app()
