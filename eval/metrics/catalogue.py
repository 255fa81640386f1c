"""The name, label and direction of every metric a run reports: what summaries, reports, the gate
and compare agree on. eval/README.md defines each one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from eval.metrics.retrieval import RECALL_KS


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    higher_is_better: bool
    unit: Literal["share", "ms"]  # a share in [0, 1], or milliseconds


def _share(name: str, label: str, *, higher_is_better: bool = True) -> MetricInfo:
    return MetricInfo(name, label, higher_is_better, "share")


def _ms(name: str, label: str) -> MetricInfo:
    return MetricInfo(name, label, higher_is_better=False, unit="ms")


METRICS: tuple[MetricInfo, ...] = (
    *(_share(f"retrieval.recall@{k}", f"evidence recall@{k}") for k in RECALL_KS),
    _share("retrieval.mrr", "MRR"),
    _share("retrieval.ndcg@10", "nDCG@10"),
    _share("answer.hit", "answer hit"),
    _share("answer.f1", "token F1"),
    _share("short_answer.exact", "short answer exact match"),
    _share("short_answer.f1", "short answer token F1"),
    _share("grounding.dropped_rate", "drafted sentences dropped", higher_is_better=False),
    _share("faithfulness.sentence_support", "supported sentences"),
    _share("faithfulness.fully_supported", "fully supported answers"),
    _share("citations.validity", "valid citations"),
    _share("citations.recall", "citation recall (ALCE)"),
    _share("citations.precision", "citation precision (ALCE)"),
    _share("citations.gold_coverage", "gold evidence cited"),
    _share("citations.gold_overlap", "citations on gold evidence"),
    _share("abstention.precision", "abstention precision"),
    _share("abstention.recall", "abstention recall"),
    _share("abstention.f1", "abstention F1"),
    _share("abstention.false_rate", "false abstention rate", higher_is_better=False),
    _ms("latency.wall_p50_ms", "wall time p50 (ms)"),
    _ms("latency.wall_p95_ms", "wall time p95 (ms)"),
    _ms("latency.service_p50_ms", "service total p50 (ms)"),
    _ms("latency.service_p95_ms", "service total p95 (ms)"),
)
CATALOGUE: dict[str, MetricInfo] = {metric.name: metric for metric in METRICS}
