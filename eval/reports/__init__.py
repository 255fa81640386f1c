"""A run's records and summary -> report.md and report.html, written next to them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.records import REPORT_HTML, REPORT_MD, ItemRecord, RunSummary
from eval.reports.html import render_html
from eval.reports.markdown import render_markdown


def write_reports(folder: Path, records: Sequence[ItemRecord], summary: RunSummary) -> None:
    (folder / REPORT_MD).write_text(render_markdown(records, summary), encoding="utf-8")
    (folder / REPORT_HTML).write_text(render_html(records, summary), encoding="utf-8")


__all__ = ["write_reports"]
