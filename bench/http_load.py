"""/ask over HTTP at concurrency 1, 8 and 32, next to an endpoint that only embeds.

    python bench/http_load.py [--requests 320] [--concurrency 1 8 32]

Starts uvicorn twice on 127.0.0.1 (the service with its answer cache off, then
bench/embed_app.py), sends the eval questions from one asyncio client at each concurrency,
and prints p50, p99 and requests/s for both. The client runs on the same two cores as the
server, so compare the two rows of one run rather than the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.servers

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from indexer.settings import IndexSettings
from tests.servers import start_server, stop_server

REPO = Path(__file__).resolve().parents[1]


async def load(
    url: str, path: str, questions: list[str], concurrency: int
) -> tuple[list[float], float]:
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
    return latencies, len(latencies) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    unique = list(dict.fromkeys(i.question for i in load_eval_set().items))
    questions = (unique * (args.requests // len(unique) + 1))[: args.requests]
    logs = REPO / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    for label, app, path in (
        ("/ask", "qa_service.main:app", "/ask"),
        ("embed only", "embed_app:app", "/embed"),
    ):
        server = start_server(
            IndexSettings().index_dir.resolve(),
            logs / f"{label.strip('/').replace(' ', '-')}.log",
            app=app,
            RAG_CACHE_BYTES="0",
            RAG_RATE_LIMIT_PER_MINUTE="0",
            PYTHONPATH=str(REPO / "bench"),
        )
        try:
            asyncio.run(load(server.url, path, questions[:20], 1))  # warm up
            for concurrency in args.concurrency:
                latencies, rps = asyncio.run(load(server.url, path, questions, concurrency))
                rows.append(
                    (
                        concurrency,
                        label,
                        percentile(latencies, 50),
                        percentile(latencies, 99),
                        rps,
                    )
                )
        finally:
            stop_server(server)
    print(f"{len(questions)} requests per row, answer cache off")
    print(f"{'concurrency':>11} {'endpoint':<11} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for concurrency, label, p50, p99, rps in sorted(rows, key=lambda r: (r[0], r[1])):
        print(f"{concurrency:>11} {label:<11} {p50:>8.1f} {p99:>8.1f} {rps:>7.1f}")
    by = {(r[0], r[1]): r for r in rows}
    for concurrency in args.concurrency:
        ask, floor = by[(concurrency, "/ask")], by[(concurrency, "embed only")]
        print(
            f"concurrency {concurrency}: /ask p50 is {ask[2] / floor[2]:.2f}x the embed-only "
            f"p50, at {ask[4] / floor[4]:.2f}x its requests/s"
        )


if __name__ == "__main__":
    main()
