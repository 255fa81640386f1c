"""Per-question records -> the run's metrics: overall, by split and by question type."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from statistics import fmean

from eval.metrics.abstention import score_abstention
from eval.metrics.catalogue import METRICS
from eval.metrics.latency import percentile
from eval.records import GroupSummary, ItemRecord, RunInfo, RunSummary


def summarise(records: Sequence[ItemRecord], run: RunInfo) -> RunSummary:
    if not records:
        raise ValueError("a run summary needs at least one question")
    return RunSummary(
        run=run,
        overall=summarise_group(records),
        by_split=_grouped(records, lambda record: record.item.split),
        by_type=_grouped(records, lambda record: record.item.type),
        timings_ms=_timings(records),
    )


def summarise_group(records: Sequence[ItemRecord]) -> GroupSummary:
    """Per-question metrics averaged over the questions they apply to; rates and percentiles
    over the whole group."""
    values: dict[str, float | None] = {}
    for metric in METRICS:
        applicable = [
            r.score.metrics[metric.name] for r in records if metric.name in r.score.metrics
        ]
        values[metric.name] = fmean(applicable) if applicable else None
    abstention = score_abstention([(r.item.answerable, r.response.abstained) for r in records])
    values |= {
        "abstention.precision": abstention.precision,
        "abstention.recall": abstention.recall,
        "abstention.f1": abstention.f1,
        "abstention.false_rate": abstention.false_rate,
    }
    wall = [record.wall_ms for record in records]
    total = [r.response.timings_ms["total"] for r in records if "total" in r.response.timings_ms]
    values |= {
        "latency.wall_p50_ms": percentile(wall, 50),
        "latency.wall_p95_ms": percentile(wall, 95),
        "latency.service_p50_ms": percentile(total, 50),
        "latency.service_p95_ms": percentile(total, 95),
    }
    reasons = Counter(
        r.response.abstention_reason or "(no reason given)" for r in records if r.response.abstained
    )
    return GroupSummary(
        questions=len(records),
        passed=sum(1 for record in records if record.passed),
        metrics=values,
        abstention_reasons=dict(reasons.most_common()),
    )


def _grouped(
    records: Sequence[ItemRecord], key: Callable[[ItemRecord], str]
) -> dict[str, GroupSummary]:
    groups: dict[str, list[ItemRecord]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return {name: summarise_group(groups[name]) for name in sorted(groups)}


def _timings(records: Sequence[ItemRecord]) -> dict[str, dict[str, float | None]]:
    stages: dict[str, list[float]] = defaultdict(list)
    for record in records:
        for stage, ms in record.response.timings_ms.items():
            stages[stage].append(ms)
    return {
        stage: {"p50": percentile(times, 50), "p95": percentile(times, 95)}
        for stage, times in sorted(stages.items())
    }
