"""A stand-in for qa_service.main:app that answers the fixture questions with canned bodies.

It exists only to test the runner's plumbing (requests, status codes, parsing); the metrics are
tested on the same bodies directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException

from tests.eval.eval_fixtures import ITEMS, RESPONSES

BY_QUESTION = {item.question: RESPONSES[item.id] for item in ITEMS}
EXPLODE = "Please fail with a server error."
GARBAGE = "Please answer with a body that is not an AskResponse."

app = FastAPI()
requests: list[dict[str, Any]] = []  # every /ask body received, for assertions


@app.post("/ask")
def ask(body: dict[str, Any]) -> dict[str, Any]:
    requests.append(body)
    if body["question"] == EXPLODE:
        raise RuntimeError("boom")
    if body["question"] == GARBAGE:
        return {"answer": "no citations field"}
    if body["question"] not in BY_QUESTION:
        raise HTTPException(status_code=404, detail="unknown fixture question")
    return BY_QUESTION[body["question"]].model_dump(mode="json")


@asynccontextmanager
async def _no_index(_: FastAPI) -> AsyncIterator[None]:
    raise RuntimeError("index var/index not found: run `rag-index build`")
    yield


broken_app = FastAPI(lifespan=_no_index)
