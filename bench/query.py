"""In-process latency of /ask against its floors, the query embedding alone, in the same run.

    python bench/query.py [--questions N]

Floors: one query embedding with each encoder (PyTorch, ONNX fp32, ONNX int8), called
directly, with each ONNX encoder's mean and least cosine to PyTorch's vector of the same
questions. /ask runs with the configured query encoder (RAG_QUERY_ENCODER) and adds retrieval
and answer assembly on top. Everything is interleaved question by question, so every row sees
the same machine state. The answer cache is off so every question does the full work; a last
line shows what a repeated question costs with the cache on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import typing
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages first

import faiss
import numpy as np
import numpy.typing as npt

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from indexer.embedding import Embedder, Vectors, open_embedder
from indexer.settings import EncoderKind
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest
from qa_service.settings import Settings


@dataclass(frozen=True)
class InProcess:
    encoder: EncoderKind  # the service's query encoder
    questions: int
    floors_ms: dict[EncoderKind, list[float]]
    cosines: dict[EncoderKind, npt.NDArray[np.float32]]  # to PyTorch's vector, per question
    ask_ms: list[float]
    stages_ms: dict[str, list[float]]

    def ratio(self, floor: EncoderKind) -> float:
        return percentile(self.ask_ms, 50) / percentile(self.floors_ms[floor], 50)


def measure(questions: int) -> InProcess:
    settings = Settings(cache_bytes=0)
    service = QAService(settings)
    embedders: dict[EncoderKind, Embedder] = {
        kind: open_embedder(settings, kind, "query") for kind in typing.get_args(EncoderKind)
    }
    texts = list(dict.fromkeys(i.question for i in load_eval_set().items))[:questions]
    for text in texts[:20]:  # warm up kernels and caches
        service.ask(AskRequest(question=text))
        for embedder in embedders.values():
            embedder.embed_query(text)
    floors: dict[EncoderKind, list[float]] = {kind: [] for kind in embedders}
    vectors: dict[EncoderKind, list[Vectors]] = {kind: [] for kind in embedders}
    ask: list[float] = []
    stages: dict[str, list[float]] = {}
    for text in texts:
        for kind, embedder in embedders.items():
            started = time.perf_counter()
            vector = embedder.embed_query(text)
            floors[kind].append((time.perf_counter() - started) * 1000)
            vectors[kind].append(vector)
        started = time.perf_counter()
        response = service.ask(AskRequest(question=text))
        ask.append((time.perf_counter() - started) * 1000)
        for stage, ms in response.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    torch = np.vstack(vectors["torch"])
    cosines = {kind: np.sum(np.vstack(rows) * torch, axis=1) for kind, rows in vectors.items()}
    return InProcess(settings.query_encoder, len(texts), floors, cosines, ask, stages)


def report(result: InProcess) -> None:
    print(
        f"{result.questions} questions; /ask with the {result.encoder} query encoder; "
        f"faiss threads {faiss.omp_get_max_threads()}"
    )
    print(f"{'':<28}{'p50 ms':>9}{'p95 ms':>9}   cosine to torch, mean / least")
    for kind, values in result.floors_ms.items():
        line = f"{percentile(values, 50):>9.2f}{percentile(values, 95):>9.2f}"
        cosines = result.cosines[kind]
        print(
            f"{f'floor: {kind} embed only':<28}{line}   {cosines.mean():.5f} / {cosines.min():.5f}"
        )
    ask = result.ask_ms
    print(f"{'/ask in process':<28}{percentile(ask, 50):>9.2f}{percentile(ask, 95):>9.2f}")
    for stage in ("embed", "dense", "bm25", "fusion", "answer"):
        values = result.stages_ms[stage]
        print(f"{'  ' + stage:<28}{percentile(values, 50):>9.3f}{percentile(values, 95):>9.3f}")
    for kind in result.floors_ms:
        print(f"ratio /ask p50 : {kind} floor p50  {result.ratio(kind):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    result = measure(args.questions)
    report(result)
    cached = QAService(Settings())
    request = AskRequest(question="When was the Baghdad Pact signed?")
    cached.ask(request)
    repeats = []
    for _ in range(200):
        started = time.perf_counter()
        cached.ask(request)
        repeats.append((time.perf_counter() - started) * 1000)
    print(f"repeated question, cached: p50 {percentile(repeats, 50):.3f} ms")


if __name__ == "__main__":
    main()
