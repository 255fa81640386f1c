"""Shared fixtures: one real index of the real corpus per session, the service, a live server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.servers import LiveServer, free_port, start_local_llm, start_server, stop_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before the model libraries are imported

from indexer.building import BuildReport, build_index
from qa_service.pipeline import QAService
from qa_service.settings import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings, with the index in a session temp folder and no `.env` read."""
    index_dir = tmp_path_factory.mktemp("index") / "index"
    return Settings(index_dir=index_dir, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def built_index(settings: Settings) -> BuildReport:
    """The real corpus, chunked and embedded with the real model, once per session."""
    return build_index(settings)


@pytest.fixture(scope="session")
def service(settings: Settings, built_index: BuildReport) -> QAService:
    return QAService(settings)


@pytest.fixture(scope="session")
def browser_origin() -> str:
    """The origin host pages are served from in browser tests: the one CORS lets in."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def live_server(
    settings: Settings,
    built_index: BuildReport,
    browser_origin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """A real uvicorn server on 127.0.0.1 over the session's index."""
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    server = start_server(
        settings.index_dir,
        log,
        RAG_CORS_ORIGINS=json.dumps([browser_origin]),
        RAG_RATE_LIMIT_PER_MINUTE="0",  # the tests' many requests all come from 127.0.0.1
    )
    yield server
    stop_server(server)


@pytest.fixture
def failing_app(
    settings: Settings, built_index: BuildReport, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app in process, whose every answer fails: what clients get when answering breaks."""
    from qa_service.main import create_app

    with TestClient(create_app(settings)) as local:

        def broken(_: object) -> None:
            raise RuntimeError("the index went away")

        monkeypatch.setattr(local.app.state.service, "ask", broken)  # type: ignore[attr-defined]
        yield local


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The bundled SmolLM2 model behind an OpenAI-compatible API on 127.0.0.1 (xllamacpp)."""
    server = start_local_llm(tmp_path_factory.mktemp("llm") / "llm.log")
    yield server
    stop_server(server)
