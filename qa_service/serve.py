"""`rag-serve`: uvicorn with the service's connection limits, in one or more worker processes.

uvicorn bounds the header block (h11's `max_incomplete_event_size`) and idle keep-alive
connections; `GuardedH11Protocol` adds what it lacks: a cap on open connections (beyond it, an
immediate 503 and close) and a deadline for a request's headers, so slow-drip clients cannot
hold connections open. Each worker loads the model and maps the index files read-only, so the
page cache holds one copy of the index for all of them.

Memory: glibc gives threads that allocate at once their own malloc arenas (up to eight per
core), and the thread pool that answers questions has 40 threads, so under load the resident
size creeps up arena by arena. `cap_malloc_arenas` caps them at two per process (measured with
`bench/load_test.py --soak`), unless MALLOC_ARENA_MAX is set.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import logging
import os
from typing import Annotated

import h11
import typer
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa_service.settings import get_settings

logger = logging.getLogger(__name__)

APP = "qa_service.main:app"
MALLOC_ARENAS = "2"
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def _raw_response(status: str, headers: str, error: str, detail: str) -> bytes:
    """A whole JSON error response, for refusals made before any request reaches the app."""
    body = json.dumps({"error": error, "detail": detail, "request_id": None}).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{headers}"
        f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_BUSY = _raw_response(
    "503 Service Unavailable",
    "retry-after: 1\r\n",
    "overloaded",
    "too many open connections: retry in a moment",
)
_TOO_SLOW = _raw_response(
    "408 Request Timeout",
    "",
    "request_timeout",
    "the request headers did not arrive in time: send them at once",
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a deadline for each request's headers."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        settings = get_settings()
        self.max_connections = settings.max_connections
        self.header_timeout = settings.request_timeout
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            logger.warning("refused a connection: %d are open", len(self.connections) - 1)
            transport.write(_BUSY)
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()  # the next request on a kept-alive connection starts its own clock
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self.conn.trailing_data[0]:  # a request began but its headers never finished
                self.transport.write(_TOO_SLOW)
            self.transport.close()


def cap_malloc_arenas() -> int | None:
    """Cap glibc's malloc arenas in this process and the workers it starts; the cap, or None
    where the C library is not glibc."""
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)  # workers read it when they start
    # PyTorch's oneDNN kernel cache grows with every new input shape (a torch query encoder)
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "8")
    try:
        arenas = int(os.environ["MALLOC_ARENA_MAX"])
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (ValueError, OSError, AttributeError):
        return None
    # This process read its environment before the line above: tell its allocator directly.
    return arenas if mallopt(_M_ARENA_MAX, arenas) == 1 else None


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: RAG_WORKERS)", min=1)
    ] = None,
    app: Annotated[str, typer.Option(help="The ASGI app, as module:attribute")] = APP,
) -> None:
    """Serve the API and the widget with the limits of the RAG_ settings."""
    settings = get_settings()
    cap_malloc_arenas()
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=workers or settings.workers,
        http=GuardedH11Protocol,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive_timeout,
        timeout_graceful_shutdown=30,
        access_log=False,
        server_header=False,
        log_level=settings.log_level.lower(),
    )


def main() -> None:
    typer.run(serve)


if __name__ == "__main__":
    main()
