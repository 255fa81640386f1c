"""Starting the service as users run it: uvicorn in its own process, on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log


def start_server(
    index_dir: Path,
    log: Path,
    port: int | None = None,
    wait_for: str = "/readyz",
    app: str = "qa_service.main:app",
    **env: str,
) -> LiveServer:
    """`rag-serve` in its own process, as `make serve` runs it (with the limits of the `RAG_`
    settings in `env`), serving `app`; returns once `wait_for` answers 200 (with a read key, if
    `RAG_READ_API_KEYS` sets one)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_LOG_LEVEL": "WARNING",
        **env,
    }
    keys = json.loads(environment.get("RAG_READ_API_KEYS", "[]"))
    auth = {"authorization": f"Bearer {keys[0]}"} if keys else {}
    with log.open("wb") as out:  # the child keeps its own handle
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qa_service.serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--app",
                app,
            ],
            cwd=REPO,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return _when_up(LiveServer(url, process, log), f"{url}{wait_for}", auth)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


def start_local_llm(log: Path, port: int | None = None) -> LiveServer:
    """The bundled chat model, served as `make serve-llm` serves it; `url` is its /v1 base."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}/v1"
    environment = {**os.environ, "RAG_LLM_BASE_URL": base}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "qa_service.local_llm"],
            cwd=REPO,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return _when_up(LiveServer(base, process, log), f"{base}/models")


def _when_up(server: LiveServer, probe: str, headers: dict[str, str] | None = None) -> LiveServer:
    """The server, once `probe` answers 200; its log in the error if it exits or hangs."""
    deadline = time.monotonic() + 300  # a loaded machine loads the model slowly
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{server.log.read_text()}")
        try:
            if httpx.get(probe, headers=headers, timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.process.kill()
    raise RuntimeError(f"the server did not become ready:\n{server.log.read_text()}")
