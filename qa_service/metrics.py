"""Prometheus metrics of the HTTP layer: requests, errors, and latency per route and per stage."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # the *_created series only double the output

# Label values come from a closed set, so the series (and the memory they take) stay bounded:
# any other method a client sends is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56)
# A language model takes seconds, not milliseconds.
_GENERATION_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128)


class Metrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.errors = Counter(
            "rag_errors",
            "Requests that ended in an error, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_request_seconds",
            "Request latency",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stage_latency = Histogram(
            "rag_stage_seconds",
            "Latency of each answering stage (embed, dense, bm25, fusion, answer, total)",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "rag_answers", "Answers given, by outcome", ["outcome"], registry=self.registry
        )
        self._stages: dict[str, Histogram] = {}

        self.first_sentence = Histogram(
            "rag_first_sentence_seconds",
            "Time from a generative request to its first checked sentence, sent to the client",
            buckets=_GENERATION_BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "rag_model_fallbacks",
            "Answers made extractively because the language model failed",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One HTTP request: `route` is a route template or "unmatched", never a raw path."""
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_answer(
        self, timings_ms: dict[str, float], abstained: bool, answerer: str = "extractive"
    ) -> None:
        for stage, ms in timings_ms.items():
            self._stage(stage).observe(ms / 1000)
        if "first_sentence" in timings_ms:
            self.first_sentence.observe(timings_ms["first_sentence"] / 1000)
        if answerer == "extractive-fallback":
            self.fallbacks.inc()
        outcome = "cached" if "cache" in timings_ms else "abstained" if abstained else "answered"
        self.answers.labels(outcome).inc()

    def _stage(self, stage: str) -> Histogram:
        """The stage's histogram, looked up once: the stages are a handful of fixed names."""
        found = self._stages.get(stage)
        if found is None:
            found = self._stages[stage] = self.stage_latency.labels(stage)
        return found
