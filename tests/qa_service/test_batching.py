"""Concurrent questions share model calls, and each gets its own vector back."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from indexer.embedding import Embedder, Vectors
from qa_service.batching import QueryBatcher
from qa_service.pipeline import QAService


class CountingEmbedder:
    """The real embedder, counting its calls and how many texts each call carried."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> Vectors:
        with self._lock:
            self.batches.append(len(texts))
        return self._embedder.embed_documents(texts)


def test_concurrent_questions_are_embedded_once_each_in_shared_calls(service: QAService) -> None:
    counting = CountingEmbedder(service.embedder)
    batcher = QueryBatcher(counting, max_batch=8)  # type: ignore[arg-type]
    questions = [f"Question number {i} about Iraq and its neighbours" for i in range(40)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        vectors = list(pool.map(batcher.embed_query, questions))
    assert sum(counting.batches) == len(questions)  # exactly one embedding per question
    assert len(counting.batches) < len(questions)  # and fewer model calls than questions
    assert max(counting.batches) <= 8
    for question, vector in zip(questions, vectors, strict=True):
        alone = service.embedder.embed_query(question)
        assert vector.shape == alone.shape == (1, 384)
        assert np.allclose(vector, alone, atol=1e-5)  # padding in a batch changes nothing


def test_a_lone_question_is_one_call_of_one(service: QAService) -> None:
    counting = CountingEmbedder(service.embedder)
    batcher = QueryBatcher(counting, max_batch=8)  # type: ignore[arg-type]
    batcher.embed_query("When was the Baghdad Pact signed?")
    assert counting.batches == [1]


def test_a_failed_call_reaches_every_waiting_question(service: QAService) -> None:
    class Failing:
        def embed_documents(self, texts: list[str]) -> Vectors:
            raise RuntimeError("model failed")

    batcher = QueryBatcher(Failing(), max_batch=4)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.embed_query("anything")


class GatedEmbedder:
    """Vectors of zeros; call n blocks until `release[n]` is set, so a test orders the calls."""

    def __init__(self, calls: int) -> None:
        self.started = [threading.Event() for _ in range(calls)]
        self.release = [threading.Event() for _ in range(calls)]
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> Vectors:
        call = self.calls
        self.calls += 1
        self.started[call].set()
        assert self.release[call].wait(30)
        return np.zeros((len(texts), 4), dtype=np.float32)


def test_a_finished_batch_returns_while_the_next_call_runs() -> None:
    gated = GatedEmbedder(calls=3)
    batcher = QueryBatcher(gated, max_batch=8)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=10) as pool:
        first = pool.submit(batcher.embed_query, "first")
        assert gated.started[0].wait(30)  # the first question holds the model
        second = [pool.submit(batcher.embed_query, f"second {i}") for i in range(8)]
        while len(batcher._queue) < 8:  # all eight wait for the model
            threading.Event().wait(0.01)
        gated.release[0].set()
        assert gated.started[1].wait(30)  # the eight go in one call
        third = pool.submit(batcher.embed_query, "third")
        while len(batcher._queue) < 1:
            threading.Event().wait(0.01)
        gated.release[1].set()
        assert gated.started[2].wait(30)  # the third question leads a call that does not end
        for future in [first, *second]:
            assert future.result(timeout=10).shape == (1, 4)  # not held behind that call
        assert not third.done()
        gated.release[2].set()
        assert third.result(timeout=10).shape == (1, 4)
