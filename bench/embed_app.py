"""The HTTP floor for bench/http_load.py: a FastAPI app whose one route only embeds the question.

It loads the same query encoder with the same settings and shares model calls between concurrent
requests the same way as the service, so the difference between the two is what retrieval
and answering cost over HTTP.
"""

from __future__ import annotations

from fastapi import FastAPI

from indexer.embedding import open_embedder
from qa_service.batching import QueryBatcher
from qa_service.schemas import AskRequest
from qa_service.settings import get_settings

settings = get_settings()
embedder = open_embedder(settings, settings.query_encoder, "query")
queries = QueryBatcher(embedder, settings.embed_max_batch)
app = FastAPI()


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}  # the model loaded at import


@app.post("/embed")
def embed(body: AskRequest) -> dict[str, int]:
    return {"dimension": int(queries.embed_query(body.question).shape[1])}
