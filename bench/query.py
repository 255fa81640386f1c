"""In-process latency of /ask against its floor, one query embedding, measured in the same run.

    python bench/query.py [--questions N]

The floor is the model call alone (`Embedder.embed_query`); /ask adds retrieval and answer
assembly on top. The evidence gate and the short answer (both inside the answer stage) are also
timed alone on each question's passages, so what they add to /ask shows in the same run. The
answer cache is off so every question does the full work; a last line shows what a repeated
question costs with the cache on.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss
import torch

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest
from qa_service.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    service = QAService(Settings(cache_bytes=0))
    questions = list(dict.fromkeys(i.question for i in load_eval_set().items))[: args.questions]
    for question in questions[:20]:  # warm up kernels and caches
        service.ask(AskRequest(question=question))

    floor, ask, gate, short = [], [], [], []
    stages: dict[str, list[float]] = {}
    for question in questions:  # interleaved, so both see the same machine state
        started = time.perf_counter()
        service.embedder.embed_query(question)
        floor.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        response = service.ask(AskRequest(question=question))
        ask.append((time.perf_counter() - started) * 1000)
        for stage, ms in response.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        context, _ = service.answer_context(AskRequest(question=question))
        started = time.perf_counter()
        service.roles.gate.decide(context)
        gate.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        service.short_answer(response.query, response.citations)
        short.append((time.perf_counter() - started) * 1000)

    print(
        f"{len(questions)} questions; torch threads {torch.get_num_threads()}, "
        f"faiss threads {faiss.omp_get_max_threads()}"
    )
    print(f"{'':<26}{'p50 ms':>9}{'p95 ms':>9}")
    print(f"{'floor (embed only)':<26}{percentile(floor, 50):>9.2f}{percentile(floor, 95):>9.2f}")
    print(f"{'/ask in process':<26}{percentile(ask, 50):>9.2f}{percentile(ask, 95):>9.2f}")
    for stage in ("embed", "dense", "bm25", "fusion", "answer"):
        values = stages[stage]
        print(f"{'  ' + stage:<26}{percentile(values, 50):>9.3f}{percentile(values, 95):>9.3f}")
    for part, values in (("the gate", gate), ("short answer", short)):
        label = f"    of which {part}"
        print(f"{label:<26}{percentile(values, 50):>9.3f}{percentile(values, 95):>9.3f}")
    print(f"ratio /ask p50 : floor p50  {percentile(ask, 50) / percentile(floor, 50):.3f}")

    cached = QAService(Settings(), embedder=service.embedder)
    request = AskRequest(question=questions[0])
    cached.ask(request)
    repeats = []
    for _ in range(200):
        started = time.perf_counter()
        cached.ask(request)
        repeats.append((time.perf_counter() - started) * 1000)
    print(f"repeated question, cached: p50 {percentile(repeats, 50):.3f} ms")


if __name__ == "__main__":
    main()
