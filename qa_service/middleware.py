"""Around every request, outermost first: a request id, metrics and one log line
(`RequestContextMiddleware`); security headers (`SecurityHeadersMiddleware`); then, inside CORS,
`RequestGuardMiddleware`: header count, body size, time and shape limits, HEAD, and a JSON 500
for any failure, so every error response carries CORS and request-id headers."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa_service.metrics import Metrics

logger = logging.getLogger("qa_service.requests")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The API's bodies nest three levels; anything far deeper is an attack on the parser.
MAX_JSON_DEPTH = 32
# Distinct refused origins logged, so a hostile page cannot fill the log.
_MAX_ORIGIN_HINTS = 100

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class RequestContextMiddleware:
    """Pure ASGI, so streamed responses pass through untouched."""

    def __init__(self, app: ASGIApp, metrics: Metrics, api: FastAPI) -> None:
        self.app = app
        self.metrics = metrics
        self.api = api
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = self._route(scope)
            self.metrics.observe_request(method, template, status, elapsed)
            if logger.isEnabledFor(logging.INFO):  # the line costs more than the check
                logger.info(
                    json.dumps(
                        {
                            "event": "request",
                            "request_id": request_id,
                            "method": method,
                            "path": scope["path"][:200],
                            "route": template,
                            "status": status,
                            "ms": round(elapsed * 1000, 2),
                            "client": (scope.get("client") or ("-",))[0],
                        }
                    )
                )

    def _route(self, scope: Scope) -> str:
        """The route template, also for requests refused before routing (a 413 on /ask)."""
        route = getattr(scope.get("route"), "path", None)
        if route is None:
            if self._templates is None:  # once: the API's paths, as patterns
                self._templates = [
                    (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
                    for t in self.api.openapi()["paths"]
                ]
            path = scope["path"]
            route = next((t for pattern, t in self._templates if pattern.match(path)), None)
        return route or "unmatched"


class SecurityHeadersMiddleware:
    """nosniff, no framing, no referrer, and a Content-Security-Policy on every response:
    pages may load only this service's own scripts; everything else may load nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                csp = PAGE_CSP if html else API_CSP
                headers += [
                    (name, value)
                    for name, value in [
                        *_SECURITY_HEADERS,
                        (b"content-security-policy", csp.encode()),
                    ]
                    if name not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestGuardMiddleware:
    """Refuses what the app should never see, with the same JSON errors as the app's own."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body_bytes: int,
        max_upload_bytes: int,
        max_headers: int,
        body_timeout: float,
        cors_origins: list[str],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.max_headers = max_headers
        self.body_timeout = body_timeout
        self.cors_origins = set(cors_origins)
        self._hinted: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        self._hint_refused_origin(scope)
        refusal = self._refuse_headers(scope)
        body = b""
        if refusal is None:
            refusal, body = await self._read_body(scope, receive)
        if refusal is not None:
            status, kind, detail = refusal
            self.metrics.errors.labels(kind).inc()
            await _send_json(
                send, status, {"error": kind, "detail": detail, "request_id": request_id}
            )
            return
        head = scope["method"] == "HEAD"
        if head:
            scope["method"] = "GET"  # every GET route answers HEAD too, without the body
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, _replay(body, receive), guarded_send)
        except Exception:
            logger.exception("unhandled error")
            if started:
                return  # the client sees the response end early; nothing more can be said
            self.metrics.errors.labels("internal_error").inc()
            await _send_json(
                send,
                500,
                {
                    "error": "internal_error",
                    "detail": "the service failed on this request; retry it",
                    "request_id": request_id,
                },
            )

    def _refuse_headers(self, scope: Scope) -> tuple[int, str, Any] | None:
        if len(scope["headers"]) > self.max_headers:
            return (
                431,
                "headers_too_many",
                f"the request has {len(scope['headers'])} headers; at most {self.max_headers} "
                "are accepted",
            )
        return None

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[Any, bytes]:
        """The whole body (small by design, but for document uploads), refused as soon as it
        passes the limits."""
        upload = _is_upload(scope)
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        too_large = (
            413,
            "payload_too_large",
            f"the request body is over {limit} bytes: "
            + (
                "send fewer or smaller files (RAG_MAX_UPLOAD_BYTES)"
                if upload
                else "send a shorter question or fewer history turns"
            ),
        )
        try:
            if int(_header(scope, "content-length") or 0) > limit:
                return too_large, b""
        except ValueError:
            pass
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        break
                    chunks.append(message.get("body", b""))
                    size += len(chunks[-1])
                    if size > limit:
                        return too_large, b""
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            return (
                408,
                "request_timeout",
                f"the body did not arrive within {self.body_timeout:g} s: send it at once",
            ), b""
        body = b"".join(chunks)
        binary = upload and not _header(scope, "content-type").startswith("application/json")
        problem = None if binary else json_problem(body)
        if problem is not None:
            kind, text = problem
            return (
                422,
                "invalid_request",
                [{"field": "body", "message": text, "type": kind}],
            ), b""
        return None, body

    def _hint_refused_origin(self, scope: Scope) -> None:
        """Tell the operator, once per origin, that a page on it calls but CORS refuses it."""
        origin = _header(scope, "origin")
        if not origin or origin in self.cors_origins or origin in self._hinted:
            return
        if origin.split("://", 1)[-1] == _header(scope, "host"):
            return  # same origin: the browser needs no CORS
        if len(self._hinted) < _MAX_ORIGIN_HINTS:
            self._hinted.add(origin)
            logger.warning(
                "a page on %s called %s, but browsers will refuse it: that origin is not in "
                "RAG_CORS_ORIGINS; add it if it should embed the widget",
                json.dumps(origin[:200]),
                scope["path"][:200],
            )


def json_problem(body: bytes) -> tuple[str, str] | None:
    """What makes `body` unreadable before any parser sees it: bad UTF-8 or runaway nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return (
            "utf8_invalid",
            f"the body is not valid UTF-8 (byte {error.start}): send JSON encoded as UTF-8",
        )
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return (
                    "json_too_deep",
                    f"the body nests arrays or objects over {MAX_JSON_DEPTH} levels deep",
                )
        elif char in "]}":
            depth -= 1
    return None


def _is_upload(scope: Scope) -> bool:
    """A document write: its body holds files, so it has its own size limit."""
    path: str = scope["path"]
    return scope["method"] in {"POST", "PUT"} and (
        path == "/documents" or path.startswith("/documents/")
    )


def _header(scope: Scope, name: str) -> str:
    wanted = name.encode()
    for key, value in scope["headers"]:
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return ""


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the buffered body to the app, then pass on whatever comes next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
