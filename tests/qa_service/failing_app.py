"""The real app plus one route that raises (what a bug in a handler looks like from outside) and
two that take and give back every worker thread (what a pool full of questions looks like)."""

from __future__ import annotations

import asyncio
import threading

import anyio.to_thread

from qa_service.main import create_app

app = create_app()
_released = threading.Event()
_holding: list[asyncio.Task[bool]] = []


@app.get("/fail", include_in_schema=False)
def fail() -> None:
    raise RuntimeError("a bug in a handler")


@app.post("/hold", include_in_schema=False)
async def hold() -> dict[str, int]:
    """Take every thread of the pool that questions are answered in, until `/release`."""
    _released.clear()
    threads = anyio.to_thread.current_default_thread_limiter()
    for _ in range(int(threads.available_tokens)):
        _holding.append(asyncio.create_task(anyio.to_thread.run_sync(_released.wait)))
    while threads.available_tokens:
        await asyncio.sleep(0.01)
    return {"held": int(threads.borrowed_tokens)}


@app.post("/release", include_in_schema=False)
async def release() -> dict[str, int]:
    """Give back the threads `/hold` took; how many."""
    _released.set()
    released = len(await asyncio.gather(*_holding))
    _holding.clear()
    return {"released": released}
