"""A run summary -> the tables both reports show, as header and rows of plain strings."""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics.catalogue import METRICS, MetricInfo
from eval.records import GroupSummary, ItemRecord, RunSummary
from eval.scoring import CHECKS

Table = tuple[list[str], list[list[str]]]


def format_value(info: MetricInfo, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if info.unit == "ms" else f"{value:.3f}"


def metric_table(groups: dict[str, GroupSummary], first: str) -> Table:
    """One row per metric (its label, its name), one column per group, after question counts."""
    header = [first, "name", *groups]
    rows = [
        ["questions", "", *(str(group.questions) for group in groups.values())],
        ["passed every check", "", *(str(group.passed) for group in groups.values())],
    ]
    for info in METRICS:
        values = (format_value(info, group.metrics.get(info.name)) for group in groups.values())
        rows.append([info.label, info.name, *values])
    return header, rows


def split_table(summary: RunSummary) -> Table:
    return metric_table({"all": summary.overall, **summary.by_split}, "metric")


def type_table(summary: RunSummary) -> Table:
    return metric_table(summary.by_type, "metric \\ type")


def timings_table(summary: RunSummary) -> Table:
    rows = [
        [stage, *(f"{v:.1f}" if v is not None else "n/a" for v in (p["p50"], p["p95"]))]
        for stage, p in summary.timings_ms.items()
    ]
    return ["service stage", "p50 (ms)", "p95 (ms)"], rows


def reasons_table(summary: RunSummary) -> Table:
    """How often each abstention reason was given, over the whole run."""
    rows = [[reason, str(n)] for reason, n in summary.overall.abstention_reasons.items()]
    return ["abstention reason", "questions"], rows


def failed_checks(record: ItemRecord) -> list[str]:
    return [check for check in CHECKS if record.score.checks.get(check) is False]


def support_scores(records: Sequence[ItemRecord]) -> list[float]:
    """The support score of every answer sentence by its own citations."""
    return [s.support.score for record in records for s in record.score.sentences]
