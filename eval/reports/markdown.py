"""Records + summary -> report.md: the metric tables by split and by type, timings, failures;
and a sweep -> sweep.md."""

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
from eval.sweep import Sweep, SweepRow


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


def render_sweep(sweep: Sweep) -> str:
    """sweep.md: the gate as configured, the table across thresholds, and the target's verdict."""

    def percent(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    def row(label: str, r: SweepRow) -> list[str]:
        return [label, percent(r.abstention), percent(r.false_abstention), percent(r.answer_hit)]

    unanswerable = sum(not s.answerable for s in sweep.scores)
    header = [
        "threshold",
        f"unanswerable abstained (of {unanswerable})",
        f"answerable falsely abstained (of {len(sweep.scores) - unanswerable})",
        "answer hit",
    ]
    rows = [row("the gate as configured", sweep.current)]
    rows += [row(f"{r.threshold:.4f}", r) for r in sweep.rows if r.threshold is not None]
    target = (
        f"at least {percent(sweep.min_abstention)} abstention with at most "
        f"{percent(sweep.max_false_abstention)} false abstention"
    )
    if sweep.meeting:
        low, high = sweep.meeting[0].threshold, sweep.meeting[-1].threshold
        verdict = (
            f"Target ({target}) met by {len(sweep.meeting)} thresholds, {low:.4f} to {high:.4f}."
        )
    else:
        verdict = f"Target ({target}) not met by any threshold."
    if sweep.best is not None and sweep.best.threshold is not None:
        best = sweep.best
        verdict += (
            f" Most abstention within the false-abstention budget: threshold "
            f"{best.threshold:.4f}, {percent(best.abstention)} abstained, "
            f"{percent(best.false_abstention)} falsely, answer hit {percent(best.answer_hit)}."
        )
    return (
        "\n\n".join(
            [
                f"# Abstention sweep: {cell(sweep.corpus)}, {cell(sweep.split)} split",
                "Abstain when the evidence gate's score is below the threshold.",
                markdown_table((header, rows)),
                verdict,
            ]
        )
        + "\n"
    )
