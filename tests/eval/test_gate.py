"""The quality gate: every corpus's thresholds load, and a run fails below them and passes above."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.corpora import eval_corpora
from eval.errors import GateConfigError
from eval.gate import DEFAULT_GATE, GateResult, Threshold, check_gate, load_gate
from eval.metrics.catalogue import CATALOGUE
from eval.records import GroupSummary
from tests.corpora.conftest import CORPORA


def summary(metrics: dict[str, float]) -> GroupSummary:
    values = {name: metrics.get(name) for name in CATALOGUE}
    return GroupSummary(questions=10, passed=5, metrics=values)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


FIXTURE_CORPORA = [f"fixture-{name}" for name in CORPORA]  # gated by tests/corpora


@pytest.mark.parametrize("corpus", [*eval_corpora(), *FIXTURE_CORPORA])
def test_every_corpus_has_thresholds_naming_known_metrics(corpus: str) -> None:
    thresholds = load_gate(DEFAULT_GATE, corpus)
    assert {t.metric for t in thresholds} <= set(CATALOGUE)
    validity = [t for t in thresholds if t.metric == "citations.validity" and t.bound == "min"]
    # The API contract holds on every corpus: the eval splits answers with the service's own
    # sentence splitter (eval/README.md), so every answer sentence must carry its marker.
    assert validity and validity[0].value == 1.0
    assert "answer.hit" in {t.metric for t in thresholds}
    if corpus not in FIXTURE_CORPORA:
        assert "abstention.recall" in {t.metric for t in thresholds}


def test_each_corpus_reads_only_its_own_tables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[one.min]\n"answer.hit" = 0.5\n[two.min]\n"answer.hit" = 0.9\n'
        '[two.max]\n"abstention.false_rate" = 0.1\n',
    )
    assert load_gate(path, "one") == [Threshold(metric="answer.hit", bound="min", value=0.5)]
    assert [(t.metric, t.value) for t in load_gate(path, "two")] == [
        ("answer.hit", 0.9),
        ("abstention.false_rate", 0.1),
    ]
    run = summary({"answer.hit": 0.7, "abstention.false_rate": 0.05})
    assert all(result.passed for result in check_gate(run, load_gate(path, "one")))
    assert [r.passed for r in check_gate(run, load_gate(path, "two"))] == [False, True]


def test_gate_passes_above_and_fails_below(tmp_path: Path) -> None:
    thresholds = load_gate(
        write(tmp_path, '[c.min]\n"answer.hit" = 0.5\n[c.max]\n"latency.wall_p95_ms" = 2000\n'),
        "c",
    )
    above = check_gate(summary({"answer.hit": 0.5, "latency.wall_p95_ms": 1999.0}), thresholds)
    assert all(result.passed for result in above)
    below = check_gate(summary({"answer.hit": 0.49, "latency.wall_p95_ms": 2001.0}), thresholds)
    assert [result.passed for result in below] == [False, False]
    assert below[0].describe() == "answer.hit = 0.49 (needs >= 0.5)"
    assert below[1].describe() == "latency.wall_p95_ms = 2001 (needs <= 2000)"


def test_a_metric_the_run_did_not_measure_fails_the_gate() -> None:
    result = GateResult(
        threshold=Threshold(metric="abstention.recall", bound="min", value=0.5), actual=None
    )
    assert not result.passed
    assert "not measured" in result.describe()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[c.min]\n"answer.hits" = 0.5\n', "unknown metric 'answer.hits'"),
        ('[c.max]\n"answer.hit" = 0.5\n', r"belongs in a \[\.min\]"),
        ('[c.min]\n"latency.wall_p95_ms" = 5\n', r"belongs in a \[\.max\]"),
        ('[c.min]\n"answer.hit" = "high"\n', "must be a number"),
        ('[c.minimum]\n"answer.hit" = 0.5\n', r"unexpected \['minimum'\] under 'c'"),
        ('[min]\n"answer.hit" = 0.5\n', "unexpected"),
        ('[other.min]\n"answer.hit" = 0.5\n', r"no threshold for corpus 'c'.*\[c\.min\]"),
        ("", "sets no threshold"),
        ("[c.min\n", "cannot read"),
    ],
)
def test_a_malformed_gate_says_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(GateConfigError, match=message):
        load_gate(write(tmp_path, text), "c")
