"""What routes depend on, as FastAPI dependencies any router can reuse.

- `Service`: the loaded `QAService` (a 503 while it is not ready; `loaded_service` outside a
  request);
- `require_read`: a read (or admin) key when `RAG_READ_API_KEYS` is set, then the rate limit of
  the key, or of the client's address without one (in-process callers, such as the eval's
  TestClient, have none); every route that reads questions or documents depends on it;
- `require_admin`: an admin key, 401 without one, 403 with a read key (without
  `RAG_ADMIN_API_KEYS`, a client on this machine);
- `question_slot`: one of the `RAG_MAX_CONCURRENT_QUESTIONS` slots, or an immediate 503.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from qa_service.access import LOOPBACK, Keys, Scope, key_identity, presented_key
from qa_service.errors import (
    ForbiddenError,
    OverloadedError,
    RateLimitedError,
    ServiceNotReadyError,
    UnauthorizedError,
)
from qa_service.limits import ConcurrencyLimit, RateLimiter
from qa_service.pipeline import QAService
from qa_service.settings import Settings


class Guards:
    """The access and load state of one app, built from its settings (`app.state.guards`)."""

    def __init__(self, settings: Settings) -> None:
        self.keys = Keys(settings.read_api_keys, settings.admin_api_keys)
        self.rate = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.questions = ConcurrencyLimit(settings.max_concurrent_questions)


def loaded_service(app: FastAPI) -> QAService:
    """The service the app's lifespan loaded; `ServiceNotReadyError` says why there is none."""
    loaded: QAService | None = app.state.service
    if loaded is None:
        raise ServiceNotReadyError(
            app.state.startup_error or "the service is still loading; retry shortly"
        )
    return loaded


async def current_service(request: Request) -> QAService:
    """The loaded service; a dependency, so "not ready" is a 503 before any stream starts."""
    return loaded_service(request.app)


Service = Annotated[QAService, Depends(current_service)]


async def require_read(request: Request) -> None:
    guards = _guards(request)
    key = presented_key(request.headers.get("authorization"))
    scope = guards.keys.scope(key)
    if guards.keys.reading_needs_a_key and scope < Scope.READ:
        raise UnauthorizedError(
            "this service needs an API key: send `Authorization: Bearer KEY` with a key from "
            "its operator" + (" (the key sent is not valid)" if key else ""),
            challenge="Basic" if request.url.path.startswith("/docs") else "Bearer",
        )
    if key and scope > Scope.NONE:
        caller = key_identity(key)
    elif _is_network_address(_client(request)):
        caller = f"client:{_client(request)}"
    else:
        return  # an in-process caller (the eval's TestClient): no address to limit
    wait = guards.rate.wait(caller)
    if wait:
        raise RateLimitedError(
            f"too many requests: at most {guards.rate.per_minute} a minute "
            f"(bursts of {guards.rate.burst}); retry after the Retry-After seconds",
            retry_seconds=wait,
        )


async def require_admin(request: Request) -> None:
    guards = _guards(request)
    if not guards.keys.admin_keys_set:
        if _client(request) not in LOOPBACK:
            raise ForbiddenError(
                "this endpoint answers only clients on the service's machine until "
                "RAG_ADMIN_API_KEYS is set; then send `Authorization: Bearer ADMIN_KEY`"
            )
        return
    key = presented_key(request.headers.get("authorization"))
    scope = guards.keys.scope(key)
    if scope == Scope.READ:
        raise ForbiddenError(
            "this key can read but not change anything: send `Authorization: Bearer ADMIN_KEY` "
            "with an admin key"
        )
    if scope < Scope.ADMIN:
        raise UnauthorizedError(
            "this endpoint needs an admin key: send `Authorization: Bearer ADMIN_KEY`"
        )


async def question_slot(request: Request) -> AsyncIterator[None]:
    """Hold a question slot until the response is sent; shed the request when none is free."""
    limit = _guards(request).questions
    if not limit.try_acquire():
        raise OverloadedError(
            f"the service is answering as many questions as it can ({limit.limit}): retry in "
            "a moment",
            retry_seconds=1,
        )
    try:
        yield
    finally:
        limit.release()


def _guards(request: Request) -> Guards:
    guards: Guards = request.app.state.guards
    return guards


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _is_network_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
