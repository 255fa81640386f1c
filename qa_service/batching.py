"""Concurrent questions share model calls: one forward pass embeds every question that is waiting.

A model call on two cores costs ~18 ms for one question and ~31 ms for eight, so under load
batching multiplies throughput while a lone question pays nothing extra: whichever request
takes the model embeds everything queued behind it (leader/follower, no background thread).
Each question is still embedded exactly once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from indexer.embedding import Embedder, Vectors


@dataclass
class _Pending:
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    vector: Vectors | None = None
    error: BaseException | None = None


class QueryBatcher:
    def __init__(self, embedder: Embedder, max_batch: int) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._model = threading.Lock()  # one model call at a time: the cores are shared
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []

    def embed_query(self, text: str) -> Vectors:
        """The (1, dimension) normalised vector of `text`, computed in some batch."""
        pending = _Pending(text)
        with self._queue_lock:
            self._queue.append(pending)
        while not pending.done.is_set():
            with self._model:
                if pending.done.is_set():  # an earlier holder embedded it with its batch
                    break
                with self._queue_lock:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                self._run(batch)
        if pending.error is not None:
            raise pending.error
        assert pending.vector is not None
        return pending.vector

    def _run(self, batch: list[_Pending]) -> None:
        try:
            vectors = self._embedder.embed_documents([p.text for p in batch])
        except BaseException as error:  # every waiting request learns of the failure
            for pending in batch:
                pending.error = error
                pending.done.set()
            raise
        for pending, vector in zip(batch, vectors, strict=True):
            pending.vector = vector[None, :]
            pending.done.set()
