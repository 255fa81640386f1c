"""Two run directories -> the regressions from the first to the second: metrics that got worse
beyond a tolerance, and questions whose checks went from pass to fail."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from eval.errors import RunDirError
from eval.metrics.catalogue import METRICS, MetricInfo
from eval.records import ItemRecord, RunSummary

TOLERANCE = 0.01  # absolute, for shares in [0, 1]
LATENCY_TOLERANCE = 0.25  # relative, for milliseconds: timings are noisy


class MetricChange(BaseModel, frozen=True):
    metric: str
    before: float | None
    after: float | None
    regressed: bool


class QuestionRegression(BaseModel, frozen=True):
    id: str
    question: str
    checks: tuple[str, ...]  # the checks that passed before and fail now


class Comparison(BaseModel, frozen=True):
    metrics: tuple[MetricChange, ...]
    questions: tuple[QuestionRegression, ...]

    @property
    def regressions(self) -> list[MetricChange]:
        return [change for change in self.metrics if change.regressed]

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions or self.questions)


def worse(
    info: MetricInfo,
    before: float | None,
    after: float | None,
    tolerance: float,
    latency_tolerance: float,
) -> bool:
    """True when `after` is worse than `before` by more than the metric's tolerance."""
    if before is None:
        return False
    if after is None:  # measured before, no longer measured
        return True
    if info.unit == "ms":
        return after > before * (1 + latency_tolerance)
    if info.higher_is_better:
        return after < before - tolerance
    return after > before + tolerance


def compare_runs(
    before: tuple[Sequence[ItemRecord], RunSummary],
    after: tuple[Sequence[ItemRecord], RunSummary],
    tolerance: float = TOLERANCE,
    latency_tolerance: float = LATENCY_TOLERANCE,
) -> Comparison:
    (old_records, old), (new_records, new) = before, after
    if old.run.split != new.run.split:
        raise RunDirError(
            f"the runs evaluated different splits ({old.run.split} and {new.run.split}): "
            "compare runs of the same split"
        )
    changes = tuple(
        MetricChange(
            metric=info.name,
            before=old.overall.metrics.get(info.name),
            after=new.overall.metrics.get(info.name),
            regressed=worse(
                info,
                old.overall.metrics.get(info.name),
                new.overall.metrics.get(info.name),
                tolerance,
                latency_tolerance,
            ),
        )
        for info in METRICS
    )
    previous = {record.item.id: record for record in old_records}
    questions: list[QuestionRegression] = []
    for record in new_records:
        earlier = previous.get(record.item.id)
        if earlier is None:
            continue
        failed = tuple(
            check
            for check, passed in earlier.score.checks.items()
            if passed and not record.score.checks.get(check, True)
        )
        if failed:
            questions.append(
                QuestionRegression(id=record.item.id, question=record.item.question, checks=failed)
            )
    return Comparison(metrics=changes, questions=tuple(questions))
