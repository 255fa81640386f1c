"""Question -> cited answer: resolve the query, embed it once, retrieve, draft, ground, respond.

`QAService` holds everything loaded at start-up (model, verified index, retriever, answerer)
and is what the HTTP layer and the in-process eval call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import faiss

from corpus import CorpusError, load_corpus
from indexer.artifact import CorpusIndex, load_index
from indexer.building import stale_reasons
from indexer.chunking import count_tokens
from indexer.embedding import Embedder, open_embedder
from indexer.lexical import terms
from qa_service.answering import AnswerContext, Question, abstain, build_roles, ground
from qa_service.batching import QueryBatcher
from qa_service.conversation import resolve_query
from qa_service.retrieval import FusionParams, Hit, Retriever
from qa_service.schemas import AskRequest, AskResponse, Passage, SearchRequest, SearchResponse
from qa_service.settings import Settings

logger = logging.getLogger(__name__)


class QAError(Exception):
    """A request the service cannot serve; the HTTP layer maps each kind to a status code."""


class DocumentNotFoundError(QAError):
    pass


@dataclass(frozen=True)
class Retrieval:
    question: Question
    hits: list[Hit]
    timings: dict[str, float]


class AnswerCache:
    """A bounded, thread-safe LRU of answers to repeated requests."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, AskResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> AskResponse | None:
        with self._lock:
            response = self._items.get(key)
            if response is not None:
                self._items.move_to_end(key)
            return response

    def put(self, key: str, response: AskResponse) -> None:
        if self._size == 0:
            return
        with self._lock:
            self._items[key] = response
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class QAService:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        """Load the query encoder (unless given one) and the index, verifying that they pair."""
        self.settings = settings
        faiss.omp_set_num_threads(settings.faiss_threads)
        self.embedder = embedder or open_embedder(settings, settings.query_encoder, "query")
        self.index: CorpusIndex = load_index(
            settings.index_dir, self.embedder.identity, settings.verify_checksums
        )
        self.retriever = Retriever(self.index, FusionParams.from_settings(settings))
        self.roles = build_roles(self.index, settings)
        self._queries = QueryBatcher(self.embedder, settings.embed_max_batch)
        self._cache = AnswerCache(settings.cache_size)
        self.stale = self._stale_reasons()
        self.retrieve("warm up", 1)  # the first calls load kernels and tokenizer tables
        count_tokens("warm up")

    def _stale_reasons(self) -> list[str]:
        try:
            reasons = stale_reasons(
                self.index.manifest, load_corpus(self.settings.corpus_dir), self.settings
            )
        except CorpusError as error:
            reasons = [f"the corpus cannot be read ({error})"]
        if reasons:
            logger.warning(
                "the index at %s is stale (%s): it is served as built; run `rag-index build`",
                self.settings.index_dir,
                "; ".join(reasons),
            )
        return reasons

    def embed_query(self, text: str) -> Question:
        return Question(text, self._queries.embed_query(text), terms(text))

    def retrieve(self, query: str, k: int) -> Retrieval:
        started = time.perf_counter()
        question = self.embed_query(query)
        timings = {"embed": (time.perf_counter() - started) * 1000}
        hits = self.retriever.search(question.vector, question.terms, k, timings)
        return Retrieval(question, hits, timings)

    def ask(self, request: AskRequest) -> AskResponse:
        started = time.perf_counter()
        key = request.model_dump_json()
        cached = self._cache.get(key)
        if cached is not None:
            elapsed = (time.perf_counter() - started) * 1000
            return cached.model_copy(update={"timings_ms": {"cache": elapsed, "total": elapsed}})
        query = resolve_query(request.question, request.history)
        retrieval = self.retrieve(query, max(request.top_k, self.settings.answer_passages))
        answer_started = time.perf_counter()
        context = AnswerContext(
            request.question, request.history, retrieval.question, retrieval.hits
        )
        decision = self.roles.gate.decide(context)
        if decision.answerable:
            draft = self.roles.answerer.draft(context)
            answer = ground(draft, self.index.documents, self.roles.judge)
        else:
            answer = abstain(decision.reason or "the passages do not hold the answer")
        timings = retrieval.timings
        timings["answer"] = (time.perf_counter() - answer_started) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        if answer.dropped:
            logger.warning("grounding dropped %d unsupported sentences", answer.dropped)
        response = AskResponse(
            answer=answer.text,
            abstained=answer.abstained,
            citations=answer.citations,
            abstention_reason=answer.abstention_reason,
            dropped_claims=answer.dropped,
            passages=self.passages(retrieval.hits[: request.top_k]),
            query=query,
            timings_ms={name: round(ms, 3) for name, ms in timings.items()},
        )
        self._cache.put(key, response)
        return response

    def search(self, request: SearchRequest) -> SearchResponse:
        query = " ".join(request.query.split())
        retrieval = self.retrieve(query, request.top_k)
        return SearchResponse(passages=self.passages(retrieval.hits), query=query)

    def passages(self, hits: list[Hit]) -> list[Passage]:
        return [
            Passage(
                rank=rank,
                chunk_id=hit.chunk.id,
                doc_id=hit.chunk.doc_id,
                title=self.index.documents[hit.chunk.doc_id].title,
                section=hit.chunk.section,
                text=hit.chunk.text,
                start=hit.chunk.start,
                end=hit.chunk.end,
                score=round(hit.score, 6),
            )
            for rank, hit in enumerate(hits, 1)
        ]
