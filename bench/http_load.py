"""/ask over HTTP at concurrency 1, 8 and 32, next to an endpoint that only embeds.

    python bench/http_load.py [--requests 320] [--concurrency 1 8 32] [--encoders onnx-fp32 torch]

For each query encoder, starts two uvicorn servers on 127.0.0.1 (the service with its answer
cache off, and bench/embed_app.py, both with that encoder), sends the eval questions from one
asyncio client at each concurrency, and prints p50, p99 and requests/s for both. The two
endpoints take turns, in rounds, so that both see the same machine: on a shared machine the
load changes within a minute, and one endpoint measured after the other compares nothing.
The client runs on the same two cores as the servers, so compare rows of one run rather than
the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.servers

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from indexer.settings import IndexSettings
from tests.servers import LiveServer, start_server, stop_server

REPO = Path(__file__).resolve().parents[1]


ROUNDS = 4  # turns each endpoint takes at each concurrency
ENDPOINTS = (("/ask", "qa_service.main:app", "/ask"), ("embed only", "embed_app:app", "/embed"))


async def load(
    url: str, path: str, questions: list[str], concurrency: int
) -> tuple[list[float], float]:
    """Latencies (ms) of `questions` sent by `concurrency` workers, and the seconds it took."""
    latencies: list[float] = []
    queue = list(reversed(questions))

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            question = queue.pop()
            started = time.perf_counter()
            response = await client.post(path, json={"question": question})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


@dataclass(frozen=True)
class Row:
    encoder: str
    concurrency: int
    endpoint: str
    p50: float
    p99: float
    rps: float


def measure(requests: int, concurrency: list[int], encoders: list[str]) -> list[Row]:
    """Both endpoints with each query encoder (RAG_QUERY_ENCODER) at each concurrency."""
    unique = list(dict.fromkeys(i.question for i in load_eval_set().items))
    questions = (unique * (requests // len(unique) + 1))[:requests]
    logs = REPO / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    for encoder in encoders:
        servers = {}
        try:
            for label, app, _ in ENDPOINTS:
                servers[label] = start_server(
                    IndexSettings().index_dir.resolve(),
                    logs / f"{encoder}-{label.strip('/').replace(' ', '-')}.log",
                    app=app,
                    RAG_CACHE_BYTES="0",
                    RAG_RATE_LIMIT_PER_MINUTE="0",
                    RAG_QUERY_ENCODER=encoder,
                    PYTHONPATH=str(REPO / "bench"),
                )
            for label, _, path in ENDPOINTS:
                asyncio.run(load(servers[label].url, path, questions[:20], 1))  # warm up
            for level in concurrency:
                rows += _alternate(encoder, level, servers, questions)
        finally:
            for server in servers.values():
                stop_server(server)
    return rows


def _alternate(
    encoder: str, level: int, servers: dict[str, LiveServer], questions: list[str]
) -> list[Row]:
    """Both endpoints at one concurrency, taking turns (in alternating order) for ROUNDS rounds."""
    latencies: dict[str, list[float]] = {label: [] for label, _, _ in ENDPOINTS}
    seconds = dict.fromkeys(latencies, 0.0)
    share = max(level, len(questions) // ROUNDS)
    for turn in range(ROUNDS):
        batch = questions[turn * share : (turn + 1) * share] or questions[:share]
        order = ENDPOINTS if turn % 2 == 0 else ENDPOINTS[::-1]
        for label, _, path in order:
            measured, elapsed = asyncio.run(load(servers[label].url, path, batch, level))
            latencies[label] += measured
            seconds[label] += elapsed
    return [
        Row(
            encoder,
            level,
            label,
            percentile(values, 50) or 0.0,
            percentile(values, 99) or 0.0,
            len(values) / seconds[label],
        )
        for label, values in latencies.items()
    ]


def report(rows: list[Row], requests: int) -> None:
    print(f"{requests} requests per row, answer cache off")
    print(
        f"{'encoder':<10} {'concurrency':>11} {'endpoint':<11} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>7}"
    )
    for row in sorted(rows, key=lambda r: (r.encoder, r.concurrency, r.endpoint)):
        print(
            f"{row.encoder:<10} {row.concurrency:>11} {row.endpoint:<11} {row.p50:>8.1f} "
            f"{row.p99:>8.1f} {row.rps:>7.1f}"
        )
    by = {(r.encoder, r.concurrency, r.endpoint): r for r in rows}
    for encoder, concurrency, _ in sorted(k for k in by if k[2] == "/ask"):
        ask, floor = by[(encoder, concurrency, "/ask")], by[(encoder, concurrency, "embed only")]
        print(
            f"{encoder}, concurrency {concurrency}: /ask p50 is {ask.p50 / floor.p50:.2f}x the "
            f"embed-only p50, at {ask.rps / floor.rps:.2f}x its requests/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--encoders", nargs="+", default=[IndexSettings().query_encoder])
    args = parser.parse_args()
    report(measure(args.requests, args.concurrency, args.encoders), args.requests)


if __name__ == "__main__":
    main()
