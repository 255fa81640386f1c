"""What the OpenAI-compatible API and the MCP server add to an answer, next to /ask.

    python bench/integrations.py [--requests 60]

Starts uvicorn on 127.0.0.1 with the answer cache off, then asks the same eval questions one at
a time through `/ask`, `/v1/chat/completions` (whole and streamed: first content chunk and
last frame) and the MCP `ask` tool over streamable HTTP (one client session), and prints p50
and p95 for each. The client shares the server's cores: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.servers

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from indexer.settings import IndexSettings
from tests.servers import start_server, stop_server

REPO = Path(__file__).resolve().parents[1]
MODEL = "grounded-qa"

Ask = Callable[[str], Awaitable[float | None]]  # the ms to the first piece, when it streams


def chat(question: str, stream: bool) -> dict[str, object]:
    return {"model": MODEL, "messages": [{"role": "user", "content": question}], "stream": stream}


async def timed(ask: Ask, questions: list[str]) -> tuple[list[float], list[float]]:
    """Total milliseconds per question, and milliseconds to the first streamed piece."""
    totals: list[float] = []
    firsts: list[float] = []
    for question in questions:
        started = time.perf_counter()
        first = await ask(question)
        totals.append((time.perf_counter() - started) * 1000)
        if first is not None:
            firsts.append(first)
    return totals, firsts


async def measure(url: str, questions: list[str]) -> list[tuple[str, list[float]]]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:

        async def ask(question: str) -> None:
            (await http.post("/ask", json={"question": question})).raise_for_status()

        async def completion(question: str) -> None:
            response = await http.post("/v1/chat/completions", json=chat(question, False))
            response.raise_for_status()

        async def streamed(question: str) -> float | None:
            started = time.perf_counter()
            first = None
            body = chat(question, True)
            async with http.stream("POST", "/v1/chat/completions", json=body) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if first is None and '"content":"' in line and '"content":""' not in line:
                        first = (time.perf_counter() - started) * 1000
            return first

        async with Client(f"{url}/mcp") as mcp:

            async def tool(question: str) -> None:
                result = await mcp.call_tool("ask", {"question": question})
                assert not result.is_error, result.content

            rows: list[tuple[str, list[float]]] = []
            for label, run in (
                ("/ask", ask),
                ("/v1/chat/completions", completion),
                ("  streamed", streamed),
                ("MCP ask tool", tool),
            ):
                await timed(run, questions[:5])  # warm up
                totals, firsts = await timed(run, questions)
                rows.append((label, totals))
                if firsts:
                    rows.append(("  first content chunk", firsts))
            return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    unique = list(dict.fromkeys(i.question for i in load_eval_set().items))
    questions = unique[: args.requests]
    logs = REPO / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    server = start_server(
        IndexSettings().index_dir.resolve(),
        logs / "integrations.log",
        RAG_CACHE_BYTES="0",
        RAG_RATE_LIMIT_PER_MINUTE="0",
    )
    try:
        rows = asyncio.run(measure(server.url, questions))
    finally:
        stop_server(server)
    print(f"{len(questions)} questions, one at a time, answer cache off")
    print(f"{'path':<24} {'p50 ms':>8} {'p95 ms':>8}")
    for label, latencies in rows:
        print(f"{label:<24} {percentile(latencies, 50):>8.1f} {percentile(latencies, 95):>8.1f}")


if __name__ == "__main__":
    main()
