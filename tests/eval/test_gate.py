"""The quality gate: the shipped thresholds load, and a run fails below them and passes above."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.errors import GateConfigError
from eval.gate import DEFAULT_GATE, GateResult, Threshold, check_gate, load_gate
from eval.metrics.catalogue import CATALOGUE
from eval.records import GroupSummary


def summary(metrics: dict[str, float]) -> GroupSummary:
    values = {name: metrics.get(name) for name in CATALOGUE}
    return GroupSummary(questions=10, passed=5, metrics=values)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_gate_loads_and_names_known_metrics() -> None:
    thresholds = load_gate(DEFAULT_GATE)
    assert thresholds
    assert {t.metric for t in thresholds} <= set(CATALOGUE)
    assert Threshold(metric="citations.validity", bound="min", value=1.0) in thresholds


def test_gate_passes_above_and_fails_below(tmp_path: Path) -> None:
    thresholds = load_gate(
        write(tmp_path, '[min]\n"answer.hit" = 0.5\n[max]\n"latency.wall_p95_ms" = 2000\n')
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
        ('[min]\n"answer.hits" = 0.5\n', "unknown metric 'answer.hits'"),
        ('[max]\n"answer.hit" = 0.5\n', r"belongs in \[min\]"),
        ('[min]\n"latency.wall_p95_ms" = 5\n', r"belongs in \[max\]"),
        ('[min]\n"answer.hit" = "high"\n', "must be a number"),
        ('[minimum]\n"answer.hit" = 0.5\n', "unknown tables"),
        ("", "sets no threshold"),
        ("[min\n", "cannot read"),
    ],
)
def test_a_malformed_gate_says_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(GateConfigError, match=message):
        load_gate(write(tmp_path, text))
