"""Cited answer -> a stream of events: what `/ask/stream` and `/v1/chat/completions` both send."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.concurrency import run_in_threadpool
from starlette.concurrency import iterate_in_threadpool

from qa_service.pipeline import QAService, answer_pieces
from qa_service.schemas import AskRequest, AskResponse, CitationsEvent, DeltaEvent, PassagesEvent

AnswerEvent = PassagesEvent | DeltaEvent | CitationsEvent | AskResponse


async def stream_answer(qa: QAService, request: AskRequest) -> AsyncIterator[AnswerEvent]:
    """Passages, the answer's pieces, its citations, then the whole response (equal to `/ask`).

    With a generative answerer each piece is a sentence sent as soon as the support judge has
    passed it, with its citations; an extractive answer is made whole, then sent in pieces.
    """
    if qa.streams:
        async for event in iterate_in_threadpool(qa.stream(request)):
            if isinstance(event, AskResponse):
                yield CitationsEvent(citations=event.citations)
            yield event
        return
    response = await run_in_threadpool(qa.ask, request)
    yield PassagesEvent(query=response.query, passages=response.passages)
    for piece in answer_pieces(response.answer):
        yield DeltaEvent(text=piece)
    yield CitationsEvent(citations=response.citations)
    yield response
