"""Load limits before the answering work: a per-caller rate limit, a cap on questions at once.

Both live on the event loop (the dependencies that use them are `async`), so they need no lock;
each worker process has its own, so with N workers the service allows N times these numbers.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Callers tracked at once; the least recently seen is forgotten first (it had a full bucket).
_MAX_CALLERS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per caller: `burst` requests at once, refilled at `per_minute` a minute."""

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait(self, caller: str) -> float:
        """Take one request from `caller`'s bucket: 0 if allowed, else seconds until it would be."""
        if self.per_minute == 0:
            return 0.0
        now = self._clock()
        rate = self.per_minute / 60
        bucket = self._buckets.pop(caller, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[caller] = bucket
        while len(self._buckets) > _MAX_CALLERS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate


class ConcurrencyLimit:
    """At most `limit` holders at once; `try_acquire` never waits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def try_acquire(self) -> bool:
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def release(self) -> None:
        self.active -= 1


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
