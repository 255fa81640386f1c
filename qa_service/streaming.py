"""Cited answer -> a stream of events: what `/ask/stream` and `/v1/chat/completions` both send."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from fastapi.concurrency import run_in_threadpool

from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest, AskResponse, CitationsEvent, DeltaEvent, PassagesEvent

AnswerEvent = PassagesEvent | DeltaEvent | CitationsEvent | AskResponse


async def stream_answer(qa: QAService, request: AskRequest) -> AsyncIterator[AnswerEvent]:
    """Passages, the answer's pieces, its citations, then the whole response (equal to `/ask`)."""
    response = await run_in_threadpool(qa.ask, request)
    yield PassagesEvent(query=response.query, passages=response.passages)
    for piece in answer_pieces(response.answer):
        yield DeltaEvent(text=piece)
    yield CitationsEvent(citations=response.citations)
    yield response


def answer_pieces(answer: str, words: int = 4) -> list[str]:
    """The answer in pieces of a few words each, for streaming; they join back to `answer`."""
    tokens = re.findall(r"\S+\s*", answer)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [answer]
