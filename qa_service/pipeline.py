"""Question -> cited answer: resolve the query, embed it once, retrieve, draft, ground, respond.

`QAService` holds everything loaded at start-up (model, verified index, retriever, answerer)
and is what the HTTP layer and the in-process eval call.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import faiss

from corpus import CorpusError, Document, load_corpus
from indexer.artifact import CorpusIndex, load_index
from indexer.building import stale_reasons
from indexer.chunking import count_tokens
from indexer.embedding import Embedder, open_embedder
from indexer.store import CorpusStore, CorpusView, DirectoryStore, StoreStatus
from indexer.store import StoreUnavailableError as StoreReadError
from qa_service.answering import (
    Answer,
    AnswerContext,
    Grounder,
    ModelEndpointError,
    ModelRateLimitedError,
    Question,
    Source,
    StreamingAnswerer,
    abstain,
    build_roles,
    ground,
    short_answer,
)
from qa_service.batching import QueryBatcher
from qa_service.conversation import resolve_query
from qa_service.retrieval import FusionParams, Hit, Retriever
from qa_service.schemas import (
    AskRequest,
    AskResponse,
    Citation,
    DeltaEvent,
    Passage,
    PassagesEvent,
    SearchRequest,
    SearchResponse,
    ShortAnswer,
)
from qa_service.settings import Settings

logger = logging.getLogger(__name__)


class QAError(Exception):
    """A request the service cannot serve; the HTTP layer maps each kind to a status code."""


class DocumentNotFoundError(QAError):
    pass


class StoreUnavailableError(QAError):
    """The database the service reads from cannot be reached; every replica recovers by itself
    once it is back."""


class AnswererUnavailableError(QAError):
    """The language model failed and no fallback was allowed (or a sentence was already sent)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AnswererRateLimitedError(AnswererUnavailableError):
    pass


AnswererName = Literal["extractive", "generative", "extractive-fallback"]
# What `QAService.stream` yields: the passages first, then pieces of the answer, then the answer.
StreamEvent = PassagesEvent | DeltaEvent | AskResponse


@dataclass(frozen=True)
class Retrieval:
    question: Question
    hits: list[Hit]
    timings: dict[str, float]


class AnswerCache:
    """A thread-safe LRU of answers to repeated requests, bounded by bytes: each answer is kept as
    its JSON, so what the bound counts (key + JSON) is what the cache holds."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> AskResponse | None:
        with self._lock:
            stored = self._items.get(key)
            if stored is None:
                return None
            self._items.move_to_end(key)
        return AskResponse.model_validate_json(stored)

    def put(self, key: str, response: AskResponse) -> None:
        if self.max_bytes <= 0:  # off: no answer is kept, so none is serialised
            return
        stored = response.model_dump_json().encode()
        size = len(key) + len(stored)
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self.bytes -= len(key) + len(previous)
            self._items[key] = stored
            self.bytes += size
            while self.bytes > self.max_bytes:
                old_key, old = self._items.popitem(last=False)
                self.bytes -= len(old_key) + len(old)


class QAService:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        """Load the query encoder (unless given one) and the index, verifying that they pair."""
        self.settings = settings
        faiss.omp_set_num_threads(settings.faiss_threads)
        self.embedder = embedder or open_embedder(settings, settings.query_encoder, "query")
        self.store = open_store(settings, self.embedder)
        self.retriever = Retriever(self.store, FusionParams.from_settings(settings))
        self._queries = QueryBatcher(self.embedder, settings.embed_max_batch)
        self.roles = build_roles(self.store.embedding, settings, self._queries.embed_query)
        # A shared database changes under the service: answers are not kept (see open_store).
        self._cache = AnswerCache(0 if settings.database_url else settings.cache_bytes)
        self.stale = self._stale_reasons() if isinstance(self.store, DirectoryStore) else []
        self.retrieve("warm up", 1)  # the first calls load kernels and tokenizer tables
        count_tokens("warm up")

    @property
    def index(self) -> CorpusIndex:
        """The loaded index directory (the default store); the PostgreSQL store has none."""
        if not isinstance(self.store, DirectoryStore):
            raise TypeError("this service reads from PostgreSQL, not from an index directory")
        return self.store.index

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Store errors as the service's own: a 503 that says to retry."""
        try:
            yield
        except StoreReadError as error:
            raise StoreUnavailableError(str(error)) from error

    def documents(self) -> list[Document]:
        with self._reading():
            return self.store.documents()

    def document(self, doc_id: str) -> Document | None:
        with self._reading():
            return self.store.document(doc_id)

    def status(self) -> StoreStatus:
        with self._reading():
            return self.store.status()

    def _stale_reasons(self) -> list[str]:
        try:
            reasons = stale_reasons(
                self.index.manifest, load_corpus(self.settings.corpus_dir), self.settings
            )
        except CorpusError as error:
            logger.error("the corpus cannot be read: %s", error)
            reasons = ["the corpus cannot be read (the server log names the file)"]
        if reasons:
            logger.warning(
                "the index at %s is stale (%s): it is served as built; run `rag-index build`",
                self.settings.index_dir,
                "; ".join(reasons),
            )
        return reasons

    def embed_query(self, text: str) -> Question:
        return Question(text, self._queries.embed_query(text), self.store.analyzer.terms(text))

    def retrieve(self, query: str, k: int) -> Retrieval:
        started = time.perf_counter()
        question = self.embed_query(query)
        timings = {"embed": (time.perf_counter() - started) * 1000}
        with self._reading():
            hits = self.retriever.search(question.vector, question.terms, k, timings)
        return Retrieval(question, hits, timings)

    def view(self, retrieval: Retrieval) -> CorpusView:
        """What answering reads for a retrieval (for the index directory, the whole index)."""
        with self._reading():
            return self.store.view([hit.chunk for hit in retrieval.hits], retrieval.question.terms)

    @property
    def streams(self) -> bool:
        """Whether answers are made while they are sent (a generative answerer)."""
        return isinstance(self.roles.answerer, StreamingAnswerer)

    def ask(self, request: AskRequest) -> AskResponse:
        *_, response = self._respond(request, events=False)
        assert isinstance(response, AskResponse)  # the stream always ends with the answer
        return response

    def stream(self, request: AskRequest) -> Iterator[StreamEvent]:
        """The passages, then the answer in pieces (each generated sentence once it is judged),
        then the whole response."""
        return self._respond(request, events=True)

    def _respond(self, request: AskRequest, events: bool) -> Iterator[StreamEvent]:
        """`stream`; without `events`, only the response (what `ask` returns: no events are
        made for nobody to read)."""
        started = time.perf_counter()
        key = request.model_dump_json()
        cached = self._cache.get(key)
        if cached is not None:
            elapsed = (time.perf_counter() - started) * 1000
            response = cached.model_copy(
                update={"timings_ms": {"cache": elapsed, "total": elapsed}}
            )
            if events:
                yield PassagesEvent(query=response.query, passages=response.passages)
                yield from (DeltaEvent(text=piece) for piece in answer_pieces(response.answer))
            yield response
            return
        context, retrieval = self.answer_context(request)
        query = retrieval.question.text
        passages = self.passages(retrieval.hits[: request.top_k], context.corpus)
        if events:
            yield PassagesEvent(query=query, passages=passages)
        timings = retrieval.timings
        answer_started = time.perf_counter()
        decision = self.roles.gate.decide(context)
        answerer: AnswererName = self.settings.answerer
        sent: list[str] = []
        if not decision.answerable:
            answer = abstain(decision.reason or "the passages do not hold the answer")
        elif isinstance(self.roles.answerer, StreamingAnswerer):
            grounder = Grounder(context.corpus.documents, self.roles.judge)
            reason = None
            try:
                for piece in self.roles.answerer.stream(context):
                    reason = reason or piece.abstention_reason
                    for sentence in grounder.add(piece.claims):
                        if not sent:
                            timings["first_sentence"] = (time.perf_counter() - started) * 1000
                        sent.append(f" {sentence.text}" if sent else sentence.text)
                        if events:
                            yield DeltaEvent(text=sent[-1], citations=sentence.citations)
                answer = grounder.answer(reason)
            except ModelEndpointError as error:
                answer = self._fall_back(context, error, sent)
                answerer = "extractive-fallback"
        else:
            answer = ground(
                self.roles.answerer.draft(context), context.corpus.documents, self.roles.judge
            )
        if events and not sent:
            yield from (DeltaEvent(text=piece) for piece in answer_pieces(answer.text))
        short = self.short_answer(query, answer.citations)
        timings["answer"] = (time.perf_counter() - answer_started) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        if answer.dropped:
            logger.warning("grounding dropped %d unsupported sentences", answer.dropped)
        response = AskResponse(
            answer=answer.text,
            abstained=answer.abstained,
            short_answer=short,
            citations=answer.citations,
            abstention_reason=answer.abstention_reason,
            dropped_claims=answer.dropped,
            passages=passages,
            query=query,
            answerer=answerer,
            timings_ms={name: round(ms, 3) for name, ms in timings.items()},
        )
        if answerer != "extractive-fallback":  # ask the model again once it is back
            self._cache.put(key, response)
        yield response

    def _fall_back(
        self, context: AnswerContext, error: ModelEndpointError, sent: list[str]
    ) -> Answer:
        """The extractive answer, when the model failed before any sentence was sent."""
        if sent or self.roles.fallback is None:
            kind = (
                AnswererRateLimitedError
                if isinstance(error, ModelRateLimitedError)
                else AnswererUnavailableError
            )
            retry_after = error.retry_after if isinstance(error, ModelRateLimitedError) else None
            raise kind(str(error), retry_after) from error
        logger.warning("answering extractively instead: %s", error)
        documents = context.corpus.documents
        return ground(self.roles.fallback.draft(context), documents, self.roles.judge)

    @staticmethod
    def short_answer(query: str, citations: list[Citation]) -> ShortAnswer | None:
        """The words of a cited sentence that answer a fact question, if they can be told."""
        cited = [(Source(c.doc_id, c.start, c.end, c.chunk_id), c.quote) for c in citations]
        span = short_answer(query, cited)
        if span is None:
            return None
        return ShortAnswer(text=span.text, doc_id=span.doc_id, start=span.start, end=span.end)

    def answer_context(self, request: AskRequest) -> tuple[AnswerContext, Retrieval]:
        """What the answering roles read for a request (the question resolved against the
        history, embedded, and its passages), and the retrieval behind it."""
        query = resolve_query(request.question, request.history)
        retrieval = self.retrieve(query, max(request.top_k, self.settings.answer_passages))
        context = AnswerContext(
            request.question,
            request.history,
            retrieval.question,
            retrieval.hits,
            self.view(retrieval),
        )
        return context, retrieval

    def search(self, request: SearchRequest) -> SearchResponse:
        query = " ".join(request.query.split())
        retrieval = self.retrieve(query, request.top_k)
        corpus = self.view(retrieval)
        return SearchResponse(passages=self.passages(retrieval.hits, corpus), query=query)

    def passages(self, hits: list[Hit], corpus: CorpusView) -> list[Passage]:
        return [
            Passage(
                rank=rank,
                chunk_id=hit.chunk.id,
                doc_id=hit.chunk.doc_id,
                title=corpus.documents[hit.chunk.doc_id].title,
                section=hit.chunk.section,
                text=hit.chunk.text,
                start=hit.chunk.start,
                end=hit.chunk.end,
                score=round(hit.score, 6),
            )
            for rank, hit in enumerate(hits, 1)
        ]


def open_store(settings: Settings, embedder: Embedder) -> CorpusStore:
    """PostgreSQL when RAG_DATABASE_URL is set (read on every question: any replica answers
    from what any other wrote), else the verified index directory, loaded into memory."""
    if settings.database_url is not None:
        from indexer.postgres import PostgresStore  # psycopg is an optional dependency

        return PostgresStore.open(settings, embedder.identity)
    return DirectoryStore(
        load_index(settings.index_dir, embedder.identity, settings.verify_checksums)
    )


def answer_pieces(answer: str, words: int = 4) -> list[str]:
    """The answer in pieces of a few words each, for streaming; they join back to `answer`."""
    tokens = re.findall(r"\S+\s*", answer)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [answer]
