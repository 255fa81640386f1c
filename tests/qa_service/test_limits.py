"""Pure logic of the limits: the rate limiter's buckets, the question cap, the byte-bounded cache,
and the key matching (the HTTP behaviour is in test_hardening.py)."""

from __future__ import annotations

from pydantic import SecretStr

from qa_service.access import Keys, Scope, presented_key
from qa_service.limits import ConcurrencyLimit, RateLimiter
from qa_service.pipeline import AnswerCache
from qa_service.schemas import AskResponse


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.wait("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.wait("a") == 1.0  # one a second
    assert limiter.wait("b") == 0  # another caller has its own bucket
    clock.now = 1.0
    assert limiter.wait("a") == 0
    clock.now = 100.0
    assert [limiter.wait("a") for _ in range(4)][-1] > 0  # refilled to the burst, no more


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert all(limiter.wait("a") == 0 for _ in range(1000))


def test_the_question_cap_never_waits() -> None:
    cap = ConcurrencyLimit(2)
    assert cap.try_acquire() and cap.try_acquire() and not cap.try_acquire()
    cap.release()
    assert cap.try_acquire()


def _answer(words: int) -> AskResponse:
    return AskResponse(
        answer="word " * words, abstained=False, citations=[], passages=[], query="q", timings_ms={}
    )


def test_the_answer_cache_is_bounded_by_bytes_not_entries() -> None:
    cache = AnswerCache(max_bytes=20_000)
    for i in range(100):
        cache.put(f"key-{i}", _answer(500))  # about 2.6 kB each
    assert 0 < cache.bytes <= 20_000
    assert cache.get("key-99") == _answer(500) and cache.get("key-0") is None
    cache.put("huge", _answer(10_000))  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.get("key-99") is not None


def test_keys_have_scopes_and_unknown_keys_none() -> None:
    keys = Keys(read=[SecretStr("r")], admin=[SecretStr("a")])
    assert keys.scope("r") is Scope.READ and keys.scope("a") is Scope.ADMIN
    assert keys.scope("x") is Scope.NONE and keys.scope(None) is Scope.NONE
    assert presented_key("Bearer r") == "r" and presented_key("bearer  r ") == "r"
    assert presented_key("Basic dXNlcjpy") == "r"  # user:r, from a browser's prompt
    assert presented_key("Basic !!") is None and presented_key("Token r") is None
