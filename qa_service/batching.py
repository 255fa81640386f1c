"""Concurrent questions share model calls: one forward pass embeds every question that is waiting.

A model call on two cores costs ~18 ms for one question and ~31 ms for eight, so under load
batching multiplies throughput while a lone question pays nothing extra: whichever request
finds the model free embeds everything queued behind it (leader/follower, no background
thread). Each question is still embedded exactly once, and a question returns as soon as its
batch is done, not after the next batch too: its retrieval and answering then run on the other
core while the model embeds the next batch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from indexer.embedding import Embedder, Vectors


@dataclass
class _Pending:
    text: str
    done: bool = False
    vector: Vectors | None = None
    error: BaseException | None = None


class QueryBatcher:
    def __init__(self, embedder: Embedder, max_batch: int) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        # Guards the queue and `_running`; waiters wake when a model call ends.
        self._changed = threading.Condition()
        self._running = False  # one model call at a time: the cores are shared
        self._queue: list[_Pending] = []

    def embed_query(self, text: str) -> Vectors:
        """The (1, dimension) normalised vector of `text`, computed in some batch."""
        pending = _Pending(text)
        with self._changed:
            self._queue.append(pending)
        while True:
            with self._changed:
                while self._running and not pending.done:
                    self._changed.wait()
                if pending.done:
                    break
                self._running = True  # this request leads the next call
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            try:
                self._run(batch)
            finally:
                with self._changed:
                    self._running = False
                    self._changed.notify_all()
        if pending.error is not None:
            raise pending.error
        assert pending.vector is not None
        return pending.vector

    def _run(self, batch: list[_Pending]) -> None:
        """Embed `batch`, outside the lock; each request learns its vector or the failure."""
        try:
            vectors = self._embedder.embed_documents([p.text for p in batch])
        except BaseException as error:
            for pending in batch:
                pending.error = error
        else:
            for pending, vector in zip(batch, vectors, strict=True):
                pending.vector = vector[None, :]
        with self._changed:
            for pending in batch:
                pending.done = True
