"""A run's summary + thresholds from a TOML file -> which thresholds it meets: the quality gate.

Each eval corpus has its own thresholds: a `[<corpus>.min]` table for metrics where higher is
better and a `[<corpus>.max]` table for rates and latencies, each mapping a catalogue metric name
to its bound.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from eval.errors import GateConfigError
from eval.metrics.catalogue import CATALOGUE
from eval.records import GroupSummary

DEFAULT_GATE = Path(__file__).parent / "gate.toml"


class Threshold(BaseModel, frozen=True):
    metric: str
    bound: Literal["min", "max"]
    value: float


class GateResult(BaseModel, frozen=True):
    threshold: Threshold
    actual: float | None  # None: the metric does not apply to this run (e.g. no unanswerable item)

    @property
    def passed(self) -> bool:
        if self.actual is None:
            return False
        if self.threshold.bound == "min":
            return self.actual >= self.threshold.value
        return self.actual <= self.threshold.value

    def describe(self) -> str:
        bound = self.threshold
        sign = ">=" if bound.bound == "min" else "<="
        actual = "not measured in this run" if self.actual is None else f"{self.actual:.4g}"
        return f"{bound.metric} = {actual} (needs {sign} {bound.value:g})"


def load_gate(path: Path, corpus: str) -> list[Threshold]:
    """The thresholds of one eval corpus: its `[<corpus>.min]` and `[<corpus>.max]` tables."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise GateConfigError(f"cannot read gate thresholds {path}: {error}") from error
    for name, tables in config.items():
        unknown = set(tables) - {"min", "max"} if isinstance(tables, dict) else {name}
        if unknown:
            raise GateConfigError(
                f"{path}: unexpected {sorted(unknown)} under {name!r}; use only "
                "[<corpus>.min] and [<corpus>.max] tables"
            )
    tables = config.get(corpus, {})
    thresholds: list[Threshold] = []
    for bound in ("min", "max"):
        for metric, value in tables.get(bound, {}).items():
            thresholds.append(_threshold(path, f"{corpus}.{bound}", metric, bound, value))
    if not thresholds:
        raise GateConfigError(
            f"{path} sets no threshold for corpus {corpus!r}: add a [{corpus}.min] or "
            f"[{corpus}.max] entry, measured as the file's header says"
        )
    return thresholds


def _threshold(
    path: Path, table: str, metric: str, bound: Literal["min", "max"], value: object
) -> Threshold:
    info = CATALOGUE.get(metric)
    if info is None:
        raise GateConfigError(
            f"{path}: [{table}] names unknown metric {metric!r}; known metrics: "
            + ", ".join(CATALOGUE)
        )
    if info.higher_is_better != (bound == "min"):
        other = "max" if bound == "min" else "min"
        raise GateConfigError(
            f"{path}: {metric} is {'higher' if info.higher_is_better else 'lower'}-is-"
            f"better, so its bound belongs in a [.{other}] table, not [{table}]"
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GateConfigError(f"{path}: [{table}] {metric} must be a number, not {value!r}")
    return Threshold(metric=metric, bound=bound, value=float(value))


def check_gate(summary: GroupSummary, thresholds: Sequence[Threshold]) -> list[GateResult]:
    return [GateResult(threshold=t, actual=summary.metrics.get(t.metric)) for t in thresholds]
