"""Records + summary -> report.md: the metric tables by split and by type, timings, failures."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from eval.records import ItemRecord, RunSummary
from eval.reports.tables import (
    Table,
    failed_checks,
    reasons_table,
    split_table,
    timings_table,
    type_table,
)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: HTML escaped, no pipes, on one line."""
    return escape(" ".join(text.split())).replace("|", "\\|")


def markdown_table(table: Table) -> str:
    header, rows = table
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(records: Sequence[ItemRecord], summary: RunSummary) -> str:
    run = summary.run
    failures = [record for record in records if not record.passed]
    failed_rows = [
        [r.item.id, r.item.type, ", ".join(failed_checks(r)), r.item.question] for r in failures
    ]
    sections = [
        f"# Eval run {cell(run.created)}",
        "\n".join(
            [
                f"- corpus: **{cell(run.corpus)}**, split: **{cell(run.split)}**, "
                f"target: `{cell(run.target)}`",
                f"- eval set: `{cell(run.eval_set)}`",
                f"- questions: {summary.overall.questions}, passed every check: "
                f"{summary.overall.passed}",
                f"- support scoring: `{cell(run.embedding_model)}`, "
                f"threshold {run.support_threshold:g}",
            ]
        ),
        "## Metrics by split",
        markdown_table(split_table(summary)),
        "## Metrics by question type",
        markdown_table(type_table(summary)),
        "## Service timings",
        markdown_table(timings_table(summary)),
        "## Abstention reasons",
        markdown_table(reasons_table(summary)) if summary.overall.abstention_reasons else "None.",
        f"## Questions that failed a check ({len(failures)})",
        markdown_table((["id", "type", "failed checks", "question"], failed_rows))
        if failures
        else "None.",
    ]
    return "\n\n".join(sections) + "\n"
