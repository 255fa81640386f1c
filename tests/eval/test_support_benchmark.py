"""The support benchmark and its held-out set are well-formed, their figures count what they claim
to count, and `rag-eval support` prints them per set."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.cli import app
from eval.errors import GoldDataError
from eval.support_benchmark import (
    DEV,
    DEV3,
    FAITHFUL_KINDS,
    HELDOUT,
    KINDS,
    BenchmarkItem,
    JudgeReport,
    PlainChecks,
    format_table,
    load_benchmark,
    model_auc,
    score_judge,
)
from qa_service.answering.roles import Verdict


def test_the_benchmark_is_large_varied_and_labelled() -> None:
    items = load_benchmark()
    assert len(items) >= 300
    corpora = Counter(item.corpus for item in items)
    assert len(corpora) >= 3 and min(corpora.values()) >= 60
    assert set(Counter(item.kind for item in items)) == set(KINDS)
    hand_paraphrases = [i for i in items if i.kind == "paraphrase" and i.written == "hand"]
    assert len(hand_paraphrases) >= 60
    assert all(item.claim.strip() and item.quote.strip() for item in items)
    assert all(item.label == (item.kind in FAITHFUL_KINDS) for item in items)
    assert len({(item.claim, item.quote) for item in items}) == len(items)


def test_the_held_out_set_covers_every_kind_on_corpora_the_benchmark_lacks() -> None:
    heldout = load_benchmark(HELDOUT)
    assert len(heldout) >= 120
    assert all(item.written == "hand" for item in heldout)
    assert set(Counter(item.kind for item in heldout)) == set(KINDS)
    assert not {i.corpus for i in heldout} & {i.corpus for i in load_benchmark()}
    benchmark_quotes = " ".join(item.quote for item in load_benchmark())
    assert not any(item.quote in benchmark_quotes for item in heldout)
    assert len({(item.claim, item.quote) for item in heldout}) == len(heldout)


def test_the_second_dev_set_shares_no_corpus_or_quote_with_the_held_out_set() -> None:
    dev, heldout = load_benchmark(DEV), load_benchmark(HELDOUT)
    assert len(dev) >= 100
    assert {item.kind for item in dev} == set(KINDS)
    assert not {i.corpus for i in dev} & {i.corpus for i in heldout}
    other_quotes = " ".join(item.quote for item in heldout + load_benchmark())
    assert not any(item.quote in other_quotes for item in dev)
    assert len({(item.claim, item.quote) for item in dev}) == len(dev)


def test_the_third_dev_set_covers_every_kind_on_texts_of_other_kinds() -> None:
    dev3 = load_benchmark(DEV3)
    assert len(dev3) >= 100
    assert all(item.written == "hand" for item in dev3)
    assert {item.kind for item in dev3} == set(KINDS)
    corpora = Counter(item.corpus for item in dev3)
    assert len(corpora) == 5 and min(corpora.values()) >= 20
    others = load_benchmark() + load_benchmark(DEV) + load_benchmark(HELDOUT)
    assert not set(corpora) & {item.corpus for item in others}
    other_quotes = " ".join(item.quote for item in others)
    assert not any(item.quote in other_quotes for item in dev3)
    assert any("\n" in item.quote for item in dev3)  # hard-wrapped quotes keep their breaks
    assert len({(item.claim, item.quote) for item in dev3}) == len(dev3)


def _write(tmp_path: Path, row: dict[str, object]) -> Path:
    path = tmp_path / "benchmark.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "row",
    [
        {
            "claim": "a",
            "quote": "b",
            "label": 1,
            "kind": "negation",
            "corpus": "c",
            "written": "hand",
        },
        {"claim": "a", "quote": "b", "label": 0, "kind": "guess", "corpus": "c", "written": "hand"},
        {
            "claim": "a",
            "quote": " ",
            "label": 0,
            "kind": "number",
            "corpus": "c",
            "written": "hand",
        },
        {"claim": "a", "quote": "b", "label": 0, "kind": "number"},
    ],
)
def test_a_malformed_pair_is_refused_with_its_line(tmp_path: Path, row: dict[str, object]) -> None:
    with pytest.raises(GoldDataError, match=r"benchmark.jsonl:1"):
        load_benchmark(_write(tmp_path, row))


class _AcceptEverything:
    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        return [Verdict(True, 1.0) for _ in pairs]


def test_figures_count_right_verdicts_per_label_kind_and_corpus() -> None:
    items = [
        BenchmarkItem("x", "x y", 1, "paraphrase", "a", "hand"),
        BenchmarkItem("not x", "x", 0, "negation", "a", "hand"),
        BenchmarkItem("x z", "x", 0, "added", "b", "hand"),
    ]
    report = score_judge(_AcceptEverything(), items)
    figures = report.figures()
    assert figures["faithful_accepted"] == 1.0 and figures["perturbed_rejected"] == 0.0
    assert figures["kind:negation"] == 0.0 and figures["corpus:a"] == 0.5
    table = format_table({"always yes": report})
    assert "| negation (reject) | 1 | 0.0% |" in table
    assert "| corpus a | 2 | 50.0% |" in table


def test_the_plain_checks_column_decides_only_what_the_checks_can() -> None:
    quote = "The treaty was signed in 1975 by Iraq and Iran."
    verdicts = PlainChecks().judge(
        [
            ("Iraq signed it in 1976.", quote),
            ("The treaty was signed", quote),
            ("Iraq agreed.", quote),
        ]
    )
    assert [v.supported for v in verdicts] == [False, True, True]
    assert verdicts[0].reason == "the quote says 1975, not 1976"
    assert [v.score for v in verdicts[1:]] == [1.0, 0.5]  # verbatim; undecided


def test_the_model_auc_reads_only_the_pairs_the_checks_leave() -> None:
    quote = "The treaty was signed in 1975 by Iraq and Iran."
    items = [
        BenchmarkItem("Iraq and Iran agreed to it.", quote, 1, "paraphrase", "a", "hand"),
        BenchmarkItem("Iran made Iraq sign it.", quote, 0, "swap", "a", "hand"),
        BenchmarkItem("It was signed in 1976.", quote, 0, "number", "a", "hand"),  # a check's
    ]
    verdicts = [Verdict(True, 0.9), Verdict(True, 0.6), Verdict(False, 0.0, "1975")]
    assert model_auc(JudgeReport(items, verdicts)) == (1.0, 2)


def test_the_support_command_reports_each_set_and_the_judges_speed(tmp_path: Path) -> None:
    rows = [
        {"claim": "Iraq signed it in 1976.", "kind": "number", "label": 0},
        {"claim": "Iraq and Iran signed the treaty.", "kind": "paraphrase", "label": 1},
        {"claim": "Iran and Iraq signed the treaty.", "kind": "merge", "label": 1},
    ]
    quote = "The treaty was signed in 1975 by Iraq and Iran."
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    for path in (first, second):
        path.write_text(
            "".join(
                json.dumps(row | {"quote": quote, "corpus": path.stem, "written": "hand"}) + "\n"
                for row in rows
            ),
            encoding="utf-8",
        )
    result = CliRunner().invoke(
        app, ["support", "--benchmark", str(first), "--benchmark", str(second), "--mistakes"]
    )
    assert result.exit_code == 0, result.output
    assert "## first.jsonl: 3 pairs" in result.output
    assert "## second.jsonl: 3 pairs" in result.output
    assert "| number (reject) | 1 | 100.0% |" in result.output
    assert "| corpus second | 3 | 100.0% |" in result.output
    assert "checks judge (default), per answer of 3 paraphrased claims" in result.output


def test_the_support_command_names_a_missing_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["support", "--benchmark", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2
    assert "none.jsonl is missing" in result.output
