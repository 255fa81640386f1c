"""Shared fixtures: one real index of the real corpus per session, the service on it, and a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from indexer.building import BuildReport, build_index  # noqa: E402
from qa_service.pipeline import QAService  # noqa: E402
from qa_service.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log


def start_server(index_dir: Path, log: Path, **env: str) -> LiveServer:
    """uvicorn in its own process, as `make serve` runs it; returns once /readyz says ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "RAG_INDEX_DIR": str(index_dir), **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "qa_service.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=REPO,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return LiveServer(url, process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not become ready:\n{log.read_text()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def live_server(
    settings: Settings, built_index: BuildReport, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A real uvicorn server on 127.0.0.1 over the session's index."""
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    server = start_server(settings.index_dir, log)
    yield server
    stop_server(server)
