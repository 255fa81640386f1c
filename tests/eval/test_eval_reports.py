"""Summaries and the files of a run directory: results, summary, Markdown and HTML reports."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from eval.metrics.catalogue import CATALOGUE
from eval.metrics.support import SupportScorer
from eval.records import ItemRecord, RunSummary, read_run, write_run
from eval.reports import write_reports
from eval.summary import summarise
from tests.eval.eval_fixtures import ITEMS, run_info, scored_records


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


@pytest.fixture(scope="module")
def run_dir(scorer: SupportScorer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = scored_records(scorer)
    folder = tmp_path_factory.mktemp("run")
    summary = summarise(records, run_info())
    write_run(folder, records, summary)
    write_reports(folder, records, summary)
    return folder


def test_summary_by_hand(scorer: SupportScorer) -> None:
    summary = summarise(scored_records(scorer), run_info())
    overall = summary.overall
    assert (overall.questions, overall.passed) == (4, 3)
    # 3 answerable items, all answered with a hit except the changed number (400,000 -> 900,000).
    assert overall.metrics["answer.hit"] == pytest.approx(2 / 3)
    # Supported sentences: 1, 0 and 1 over the three answers.
    assert overall.metrics["faithfulness.sentence_support"] == pytest.approx(2 / 3)
    assert overall.metrics["abstention.recall"] == 1.0
    assert overall.metrics["abstention.false_rate"] == 0.0
    # Wall times 100, 110, 120, 130: nearest-rank p50 is the 2nd, p95 the 4th.
    assert overall.metrics["latency.wall_p50_ms"] == 110.0
    assert overall.metrics["latency.wall_p95_ms"] == 130.0
    assert overall.metrics["latency.service_p95_ms"] == 30.0
    assert set(overall.metrics) == set(CATALOGUE)
    assert set(summary.by_split) == {"dev", "test"}
    assert summary.by_split["dev"].metrics["answer.hit"] == 1.0
    assert summary.by_type["unanswerable"].metrics["answer.hit"] is None
    assert summary.timings_ms["total"] == {"p50": 12.0, "p95": 30.0}
    assert overall.abstention_reasons == {"(no reason given)": 1}  # q-bird gives none


def test_abstention_reasons_are_counted(scorer: SupportScorer) -> None:
    records = scored_records(scorer)
    bird = records[1]
    assert bird.response.abstained
    given = bird.model_copy(
        update={"response": bird.response.model_copy(update={"abstention_reason": "off topic"})}
    )
    summary = summarise([*records, given, given], run_info())
    assert summary.overall.abstention_reasons == {"off topic": 2, "(no reason given)": 1}


def test_run_directory_round_trips(run_dir: Path) -> None:
    records, summary = read_run(run_dir)
    assert [record.item.id for record in records] == [fixture.id for fixture in ITEMS]
    lines = (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert {"item", "response", "wall_ms", "score", "passed"} <= set(first)
    assert first["score"]["metrics"]["answer.hit"] == 1.0
    assert ItemRecord.model_validate_json(lines[2]).passed is False
    assert RunSummary.model_validate_json((run_dir / "summary.json").read_text()) == summary


def test_html_report_is_self_contained_and_escaped(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    parser = TagCollector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert {"link", "img", "iframe"}.isdisjoint(parser.tags)
    assert {"src", "href"}.isdisjoint(parser.attributes)
    assert parser.tags.count("svg") == 3  # recall@k, support histogram, results by type
    assert "style" in parser.tags


def test_html_report_shows_markers_with_their_quotes_and_gold(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert (
        '<sup class="cite" title="Iraq is a founding member of the Arab League since 1945.">'
        "[1]</sup>"
    ) in page
    assert "<i>unanswerable</i>" in page
    assert '<span class="abstained">abstained</span>' in page
    assert "user: How much oil went via Turkey?" in page  # the follow-up's history


def test_markdown_report_has_both_tables_and_the_failure(run_dir: Path) -> None:
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "| evidence recall@10 | retrieval.recall@10 | 1.000 | 1.000 | 1.000 |" in report
    assert "| metric \\ type | name | date | factoid | number | unanswerable |" in report
    assert "| q-pipeline | number | answer, faithfulness, citations_supported |" in report
    assert "&lt;script&gt;" in report and "<script>" not in report
    assert "## Abstention reasons\n\n| abstention reason | questions |" in report
    assert "| (no reason given) | 1 |" in report
