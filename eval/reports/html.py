"""Records + summary -> report.html: one self-contained page (inline CSS and SVG, no scripts,
nothing fetched), every corpus and user string HTML-escaped."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from eval.metrics.catalogue import CATALOGUE
from eval.metrics.retrieval import RECALL_KS
from eval.metrics.support import THRESHOLD
from eval.metrics.text import MARKER
from eval.records import ItemRecord, RunSummary
from eval.reports.charts import bar_chart
from eval.reports.tables import (
    Table,
    format_value,
    reasons_table,
    split_table,
    support_scores,
    timings_table,
    type_table,
)
from eval.scoring import CHECKS
from qa_service.schemas import Citation

_HISTOGRAM_BINS = 10
_TYPE_CHART_METRICS = (
    "answer.hit",
    "retrieval.recall@10",
    "faithfulness.sentence_support",
    "abstention.recall",
)
_ROW_METRICS = ("retrieval.recall@10", "answer.f1", "citations.recall", "citations.precision")

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1d1d1f; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #d0d0d5; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f2f2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.questions td { max-width: 34em; }
.pass { color: #0a7a2f; font-weight: 600; } .fail { color: #b3261e; font-weight: 600; }
.history { color: #666; font-size: 0.9em; margin: 0 0 0.4em; }
.cite { color: #1a56b0; cursor: help; }
.quotes { font-size: 0.9em; color: #444; margin: 0.4em 0 0; padding-left: 1.4em; }
.abstained { background: #fff4d6; padding: 0 4px; border-radius: 3px; }
.problems { color: #b3261e; font-size: 0.9em; }
.metric { white-space: nowrap; color: #555; font-size: 0.9em; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #333; }
svg.chart .chart-title { font-weight: 600; font-size: 12px; }
svg.chart .tick, svg.chart .label { text-anchor: end; }
svg.chart .grid { stroke: #e0e0e5; }
svg.chart .s0 { fill: #4e79a7; } svg.chart .s1 { fill: #f28e2b; }
svg.chart .s2 { fill: #59a14f; } svg.chart .s3 { fill: #b07aa1; }
"""


def html_table(table: Table, numeric_from: int = 2) -> str:
    header, rows = table
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(v)}</td>' if i >= numeric_from else f"<td>{escape(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_answer(answer: str, citations: Sequence[Citation]) -> str:
    """The answer with each [n] marker shown as a link-like mark whose tooltip is its quote."""
    quotes = {citation.marker: citation.quote for citation in citations}
    escaped = escape(answer)  # leaves "[n]" as it is

    def mark(match: re.Match[str]) -> str:
        number = int(match.group(1))
        quote = quotes.get(number, "no citation with this marker")
        return f'<sup class="cite" title="{escape(quote)}">[{number}]</sup>'

    return MARKER.sub(mark, escaped)


def _question_cell(record: ItemRecord) -> str:
    history = "".join(
        f'<p class="history">{escape(turn.role)}: {escape(turn.content)}</p>'
        for turn in record.item.history
    )
    return f"{history}{escape(record.item.question)}"


def _answer_cell(record: ItemRecord) -> str:
    response = record.response
    badge = '<span class="abstained">abstained</span> ' if response.abstained else ""
    quotes = "".join(
        f'<li value="{c.marker}"><b>{escape(c.doc_id)}</b> § {escape(c.section)}: '
        f"“{escape(c.quote)}”</li>"
        for c in sorted(response.citations, key=lambda citation: citation.marker)
    )
    problems = [escape(problem) for problem in record.score.problems]
    for sentence in record.score.sentences:
        for name, judgement in (
            ("its citations", sentence.support),
            ("the answer's sources", sentence.grounding),
        ):
            if not judgement.supported:
                missing = (
                    f", missing {escape(', '.join(judgement.missing))}" if judgement.missing else ""
                )
                problems.append(
                    f"not supported by {name} (score {judgement.score:.2f}{missing}): "
                    f"{escape(sentence.text)}"
                )
    listed = "".join(f"<li>{problem}</li>" for problem in problems)
    return (
        badge
        + render_answer(response.answer, response.citations)
        + (f'<ol class="quotes">{quotes}</ol>' if quotes else "")
        + (f'<ul class="problems">{listed}</ul>' if listed else "")
    )


def _gold_cell(record: ItemRecord) -> str:
    item = record.item
    if not item.answerable:
        return "<i>unanswerable</i>"
    parts = [f"<b>{escape(item.answer)}</b>"]
    if item.aliases:
        parts.append("also: " + escape("; ".join(item.aliases)))
    if item.answer_items:
        parts.append("all of: " + escape("; ".join(item.answer_items)))
    return "<br>".join(parts)


def _checks_cell(record: ItemRecord) -> str:
    lines = []
    for check in CHECKS:
        passed = record.score.checks.get(check)
        if passed is not None:
            mark = '<span class="pass">✓</span>' if passed else '<span class="fail">✗</span>'
            lines.append(f"{mark} {check}")
    for name in _ROW_METRICS:
        value = record.score.metrics.get(name)
        if value is not None:
            shown = format_value(CATALOGUE[name], value)
            lines.append(f'<span class="metric">{escape(name)} {shown}</span>')
    return "<br>".join(lines)


def question_table(records: Sequence[ItemRecord]) -> str:
    rows = "".join(
        f'<tr id="{escape(r.item.id)}"><td>{escape(r.item.id)}<br>{escape(r.item.type)}, '
        f"{escape(r.item.split)}</td><td>{_question_cell(r)}</td><td>{_answer_cell(r)}</td>"
        f"<td>{_gold_cell(r)}</td><td>{_checks_cell(r)}</td></tr>"
        for r in records
    )
    head = "<tr><th>item</th><th>question</th><th>answer</th><th>gold</th><th>checks</th></tr>"
    return f'<table class="questions"><thead>{head}</thead><tbody>{rows}</tbody></table>'


def charts(records: Sequence[ItemRecord], summary: RunSummary) -> str:
    recall = bar_chart(
        "Evidence recall@k",
        [f"k={k}" for k in RECALL_KS],
        {"recall": [summary.overall.metrics.get(f"retrieval.recall@{k}") for k in RECALL_KS]},
        y_max=1.0,
    )
    counts = [0] * _HISTOGRAM_BINS
    for score in support_scores(records):
        counts[min(int(score * _HISTOGRAM_BINS), _HISTOGRAM_BINS - 1)] += 1
    width = 1 / _HISTOGRAM_BINS
    histogram = bar_chart(
        f"Sentence support scores (supported at ≥ {THRESHOLD:g})",
        [f"{i * width:.1f}-{(i + 1) * width:.1f}" for i in range(_HISTOGRAM_BINS)],
        {"sentences": [float(count) for count in counts]},
        y_max=float(max(counts, default=0) or 1),
        value_format="{:.0f}",
    )
    types = list(summary.by_type)
    by_type = bar_chart(
        "Results by question type",
        types,
        {
            CATALOGUE[name].label: [summary.by_type[t].metrics.get(name) for t in types]
            for name in _TYPE_CHART_METRICS
        },
        y_max=1.0,
    )
    return f'<div class="charts">{recall}{histogram}</div><div class="charts">{by_type}</div>'


def render_html(records: Sequence[ItemRecord], summary: RunSummary) -> str:
    run = summary.run
    meta = (
        f"<p>corpus <b>{escape(run.corpus)}</b> · split <b>{escape(run.split)}</b> · "
        f"target <code>{escape(run.target)}</code> · "
        f"eval set <code>{escape(run.eval_set)}</code> · {summary.overall.questions} questions, "
        f"{summary.overall.passed} passed every check · support scored with "
        f"<code>{escape(run.embedding_model)}</code>, threshold {run.support_threshold:g}</p>"
    )
    body = "".join(
        [
            f"<h1>Eval run {escape(run.created)}</h1>",
            meta,
            "<h2>Charts</h2>",
            charts(records, summary),
            "<h2>Metrics by split</h2>",
            html_table(split_table(summary)),
            "<h2>Metrics by question type</h2>",
            html_table(type_table(summary)),
            "<h2>Service timings</h2>",
            html_table(timings_table(summary), numeric_from=1),
            "<h2>Abstention reasons</h2>",
            html_table(reasons_table(summary), numeric_from=1),
            "<h2>Questions</h2>",
            question_table(records),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Eval run {escape(run.created)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
