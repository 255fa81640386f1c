"""OpenAI-compatible routes: chat messages -> `AskRequest` -> `QAService.ask` -> a chat completion.

A thin adapter, so chat front-ends (Open WebUI, LibreChat) and client libraries (the `openai`
SDKs, LangChain's `ChatOpenAI`) can ask the service: `POST /v1/chat/completions` (streamed or
not) and `GET /v1/models`. Errors on `/v1/*` use OpenAI's shape,
`{"error": {"message", "type", "param", "code"}}`, so those clients raise their typed errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.chunking import count_tokens
from qa_service.dependencies import Service, require_read
from qa_service.errors import http_status
from qa_service.metrics import Metrics
from qa_service.openai_schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    Model,
    ModelList,
    OpenAIErrorBody,
    OpenAIErrorDetail,
    Usage,
)
from qa_service.pipeline import QAError, QAService
from qa_service.schemas import MAX_HISTORY_TURNS, AskRequest, AskResponse, DeltaEvent, Turn
from qa_service.streaming import AnswerEvent, stream_answer

logger = logging.getLogger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIErrorBody, "description": text}
    for status, text in (
        (400, "The last message is not the user's question"),
        (404, "No model has this id: GET /v1/models lists them"),
        (422, "A field is missing or malformed; `param` names it"),
        (503, "The index or model is not loaded: the message says what to run"),
    )
}


class OpenAIError(Exception):
    """An error answered in OpenAI's shape, with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = OpenAIErrorDetail(message=message, type=kind, param=param, code=code)
        self.headers = headers or ({"Retry-After": "5"} if status == 503 else None)

    def response(self) -> JSONResponse:
        headers = self.headers
        body = OpenAIErrorBody(error=self.detail).model_dump()
        return JSONResponse(body, status_code=self.status, headers=headers)


def openai_router(metrics: Metrics) -> APIRouter:
    """The `/v1` routes; `metrics` counts their answers and errors like the service's own."""
    router = APIRouter(
        prefix="/v1",
        tags=["openai"],
        route_class=_route_class(metrics),
        dependencies=[Depends(require_read)],
        responses=_ERRORS,
    )

    @router.get("/models", response_model=ModelList)
    def models(qa: Service) -> ModelList:
        """The one model this service answers as: its corpus and answerer."""
        return ModelList(data=[_model(qa)])

    @router.get("/models/{model_id}", response_model=Model)
    def model(model_id: str, qa: Service) -> Model:
        """One model, or a 404 naming the model that exists."""
        _check_model(model_id, qa)
        return _model(qa)

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def chat_completions(
        body: ChatCompletionRequest, qa: Service, request: Request
    ) -> Response:
        """The answer to the last user message, with `[n]` markers and `message.citations`.

        With `stream: true`: `chat.completion.chunk` frames whose `delta.content` pieces join
        to the answer; the last chunk (`finish_reason: "stop"`) carries `delta.citations`,
        `delta.abstained` and `delta.abstention_reason`; then `data: [DONE]`.
        """
        _check_model(body.model, qa)
        ask = _ask_request(body)
        completion_id = f"chatcmpl-{request.state.request_id}"
        created = int(time.time())
        if body.stream:
            events = stream_answer(qa, ask)
            first = await anext(events)  # a failure before the stream starts is an HTTP error
            frames = _frames(first, events, body, completion_id, created, metrics)
            return StreamingResponse(
                frames, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
            )
        answer = await run_in_threadpool(qa.ask, ask)
        metrics.observe_answer(answer.timings_ms, answer.abstained, answer.answerer)
        completion = ChatCompletion(
            id=completion_id,
            created=created,
            model=body.model,
            choices=[
                Choice(
                    message=AssistantMessage(
                        content=answer.answer,
                        citations=answer.citations,
                        abstained=answer.abstained,
                        abstention_reason=answer.abstention_reason,
                    )
                )
            ],
            usage=_usage(body, answer),
        )
        return JSONResponse(completion.model_dump(mode="json"))

    @router.api_route(
        "/{path:path}", methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False
    )
    def unknown(path: str) -> None:
        raise OpenAIError(
            404,
            f"/v1/{path} is not served here: this service implements GET /v1/models and "
            "POST /v1/chat/completions",
            code="unknown_url",
        )

    return router


def _route_class(metrics: Metrics) -> type[APIRoute]:
    class OpenAIRoute(APIRoute):
        """Answers every error of its route, validation included, in OpenAI's shape."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def with_openai_errors(request: Request) -> Response:
                try:
                    return await handler(request)
                except Exception as error:
                    failure = _as_openai_error(error)
                    metrics.errors.labels(failure.detail.code or failure.detail.type).inc()
                    return failure.response()

            return with_openai_errors

    return OpenAIRoute


def _as_openai_error(error: Exception) -> OpenAIError:
    if isinstance(error, OpenAIError):
        return error
    if isinstance(error, RequestValidationError):
        problems = [
            ("body", f"not valid JSON ({e.get('ctx', {}).get('error', 'parse error')})")
            if e["type"] == "json_invalid"
            else (".".join(str(p) for p in e["loc"][1:]) or "body", e["msg"])
            for e in error.errors()
        ]
        message = "; ".join(f"{param}: {text}" for param, text in problems)
        return OpenAIError(422, message, param=problems[0][0], code="invalid_value")
    if isinstance(error, QAError):
        status, code, headers = http_status(error)
        kind = "server_error" if status >= 500 else "invalid_request_error"
        return OpenAIError(status, str(error), kind=kind, code=code, headers=headers)
    if isinstance(error, StarletteHTTPException):
        return OpenAIError(error.status_code, str(error.detail))
    logger.exception("unhandled error on an OpenAI-compatible route")
    return OpenAIError(
        500, "the service failed on this request; retry it", kind="server_error", code="internal"
    )


def _check_model(model_id: str, qa: QAService) -> None:
    served = qa.settings.openai_model
    if model_id != served:
        raise OpenAIError(
            404,
            f"The model {model_id!r} does not exist: this service answers as {served!r} "
            "(GET /v1/models)",
            param="model",
            code="model_not_found",
        )


def _model(qa: QAService) -> Model:
    built = datetime.fromisoformat(qa.status().built_at)
    return Model(id=qa.settings.openai_model, created=int(built.timestamp()))


def _ask_request(body: ChatCompletionRequest) -> AskRequest:
    """The last message is the question; earlier user and assistant messages are the history."""
    *earlier, last = body.messages
    if last.role != "user":
        raise OpenAIError(
            400,
            f"the last message is from the {last.role}: end `messages` with the user's question",
            param="messages",
        )
    try:
        history = [
            Turn.model_validate({"role": m.role, "content": m.text})
            for m in earlier
            if m.role in ("user", "assistant") and m.text.strip()
        ]
        return AskRequest(question=last.text, history=history[-MAX_HISTORY_TURNS:])
    except ValidationError as error:
        problem = error.errors()[0]
        where = "the question" if problem["loc"][0] == "question" else "an earlier message"
        raise OpenAIError(
            422, f"{where}: {problem['msg']}", param="messages", code="invalid_value"
        ) from error


def _usage(body: ChatCompletionRequest, answer: AskResponse) -> Usage:
    read = sum(count_tokens(m.text) for m in body.messages)
    written = count_tokens(answer.answer)
    return Usage(prompt_tokens=read, completion_tokens=written, total_tokens=read + written)


async def _frames(
    first: AnswerEvent,
    rest: AsyncIterator[AnswerEvent],
    body: ChatCompletionRequest,
    completion_id: str,
    created: int,
    metrics: Metrics,
) -> AsyncIterator[str]:
    """The answer stream as `chat.completion.chunk` frames, ending with `data: [DONE]`."""

    def frame(delta: Delta | None, finish: bool = False, usage: Usage | None = None) -> str:
        reason = "stop" if finish else None
        choices = [] if delta is None else [ChunkChoice(delta=delta, finish_reason=reason)]
        chunk = ChatCompletionChunk(
            id=completion_id, created=created, model=body.model, choices=choices, usage=usage
        )
        return f"data: {chunk.model_dump_json()}\n\n"

    yield frame(Delta(role="assistant", content=""))
    try:
        event: AnswerEvent | None = first
        while event is not None:
            if isinstance(event, DeltaEvent):
                yield frame(Delta(content=event.text))
            elif isinstance(event, AskResponse):
                metrics.observe_answer(event.timings_ms, event.abstained, event.answerer)
                final = Delta(
                    citations=event.citations,
                    abstained=event.abstained,
                    abstention_reason=event.abstention_reason,
                )
                yield frame(final, finish=True)
                if body.stream_options and body.stream_options.include_usage:
                    yield frame(None, usage=_usage(body, event))
            event = await anext(rest, None)
    except Exception:
        logger.exception("answering failed mid-stream")
        metrics.errors.labels("stream").inc()
        failure = OpenAIErrorDetail(
            message="answering failed mid-stream; retry the question",
            type="server_error",
            code="internal",
        )
        yield f"data: {OpenAIErrorBody(error=failure).model_dump_json()}\n\n"
        return
    yield "data: [DONE]\n\n"
