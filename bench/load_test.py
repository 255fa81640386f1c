"""The service under load and over time: latency, throughput, shed requests and memory.

    python bench/load_test.py [--workers 1 2] [--concurrency 1 8 32 128] [--requests 400]
                              [--soak 180] [--url URL --pid PID]

Starts `rag-serve` on 127.0.0.1 (answer cache and rate limit off, so every request does the
full work and only the question cap sheds) once per worker count, or measures a server already
running at --url (its process --pid, for memory). At each concurrency, one bounded asyncio
client sends --requests questions (at most --seconds per level) and the script prints p50/p99
of the answered ones, answered requests/s, requests shed (503/429; the client then waits
Retry-After, as a well-behaved one does), other failures, and the RSS of the server's
processes. Then a soak: --soak seconds at the highest concurrency, RSS sampled every 10 s.
The client shares the machine's cores with the server: compare rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.servers

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from indexer.settings import IndexSettings
from tests.servers import start_server, stop_server

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Level:
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    shed: int = 0
    failed: int = 0
    seconds: float = 0.0
    rss_mib: float = 0.0


def rss_mib(pid: int) -> float:
    """Resident memory of the server process and its workers, in MiB."""
    parent = psutil.Process(pid)
    processes = [parent, *parent.children(recursive=True)]
    return sum(p.memory_info().rss for p in processes) / 2**20


async def run_level(
    url: str, questions: list[str], concurrency: int, requests: int, seconds: float
) -> Level:
    level = Level(concurrency)
    queue = [f"{q}{' ' * (i // len(questions))}" for i, q in enumerate(questions * 50)]
    queue = queue[:requests][::-1]  # distinct texts: no answer repeats

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        while queue and time.monotonic() < deadline:
            question = queue.pop()
            started = time.perf_counter()
            try:
                response = await client.post("/ask", json={"question": question})
            except httpx.HTTPError:
                level.failed += 1
                continue
            if response.status_code == 200:
                level.latencies.append((time.perf_counter() - started) * 1000)
            elif response.status_code in (429, 503):
                level.shed += 1
                # As a well-behaved client does: wait as told (bounded by the level's deadline).
                wait = float(response.headers.get("retry-after", 1))
                await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            else:
                level.failed += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(worker(client, deadline) for _ in range(concurrency)))
        level.seconds = time.perf_counter() - started
    return level


def measure(url: str, pid: int, args: argparse.Namespace, questions: list[str]) -> None:
    asyncio.run(run_level(url, questions, 1, 10, 60))  # warm up
    print(
        f"{'concurrency':>11} {'p50 ms':>8} {'p99 ms':>8} {'answered/s':>10} {'shed':>5} "
        f"{'failed':>6} {'RSS MiB':>8}"
    )
    for concurrency in args.concurrency:
        level = asyncio.run(run_level(url, questions, concurrency, args.requests, args.seconds))
        level.rss_mib = rss_mib(pid)
        p50, p99 = (
            (percentile(level.latencies, 50), percentile(level.latencies, 99))
            if level.latencies
            else (float("nan"), float("nan"))
        )
        print(
            f"{concurrency:>11} {p50:>8.0f} {p99:>8.0f} "
            f"{len(level.latencies) / level.seconds:>10.1f} {level.shed:>5} {level.failed:>6} "
            f"{level.rss_mib:>8.0f}",
            flush=True,
        )
    if args.soak:
        soak(url, pid, args, questions)


def soak(url: str, pid: int, args: argparse.Namespace, questions: list[str]) -> None:
    concurrency = max(args.concurrency)
    samples = [rss_mib(pid)]
    answered = shed = 0
    ends = time.monotonic() + args.soak
    while time.monotonic() < ends:
        level = asyncio.run(run_level(url, questions, concurrency, 10_000, 10))
        answered, shed = answered + len(level.latencies), shed + level.shed
        samples.append(rss_mib(pid))
    print(
        f"soak: {args.soak:.0f} s at concurrency {concurrency}, {answered} answered, {shed} shed; "
        f"RSS MiB every 10 s: {' '.join(f'{s:.0f}' for s in samples)} "
        f"(first {samples[0]:.0f}, last {samples[-1]:.0f}, max {max(samples):.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--requests", type=int, default=400, help="per concurrency level")
    parser.add_argument("--seconds", type=float, default=60, help="at most, per level")
    parser.add_argument("--soak", type=float, default=180, help="seconds; 0 skips the soak")
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id")
    args = parser.parse_args()
    questions = list(dict.fromkeys(i.question for i in load_eval_set().items))
    if args.url:
        print(f"server at {args.url}")
        measure(args.url, args.pid, args, questions)
        return
    logs = REPO / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    for workers in args.workers:
        server = start_server(
            IndexSettings().index_dir.resolve(),
            logs / f"load-test-{workers}.log",
            RAG_WORKERS=str(workers),
            RAG_TORCH_THREADS=str(max(1, psutil.cpu_count() // workers)),
            RAG_CACHE_BYTES="0",
            RAG_RATE_LIMIT_PER_MINUTE="0",
        )
        try:
            print(f"rag-serve, {workers} worker(s)")
            measure(server.url, server.process.pid, args, questions)
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
