"""What a run produces: a record per question, a summary, and the run directory holding them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError, computed_field

from eval.dataset import EvalItem
from eval.errors import RunDirError
from eval.scoring import ItemScore
from qa_service.schemas import AskResponse

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"


class ItemRecord(BaseModel, frozen=True):
    """One question: the gold item, what the service answered, how long it took, its scores."""

    item: EvalItem
    response: AskResponse
    wall_ms: float  # the runner's wall time for the request
    score: ItemScore

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.score.passed


class RunInfo(BaseModel, frozen=True):
    created: str  # ISO 8601, UTC
    corpus: str = "shipped"  # the eval corpus (eval/corpora.py) whose gold file was asked
    split: str
    target: str  # the service evaluated: a URL, or the in-process app's import path
    eval_set: str
    embedding_model: str
    support_threshold: float


class GroupSummary(BaseModel, frozen=True):
    questions: int
    passed: int
    metrics: dict[str, float | None]  # every catalogue metric; None where none applies
    abstention_reasons: dict[str, int] = {}  # the service's abstention_reason -> how often


class RunSummary(BaseModel, frozen=True):
    run: RunInfo
    overall: GroupSummary
    by_split: dict[str, GroupSummary]
    by_type: dict[str, GroupSummary]
    timings_ms: dict[str, dict[str, float | None]]  # service stage -> {"p50": ..., "p95": ...}


def write_run(folder: Path, records: Sequence[ItemRecord], summary: RunSummary) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = (record.model_dump_json() + "\n" for record in records)
    (folder / RESULTS).write_text("".join(lines), encoding="utf-8")
    (folder / SUMMARY).write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read_run(folder: Path) -> tuple[list[ItemRecord], RunSummary]:
    """The records and summary of a run directory written by `rag-eval run`."""
    try:
        summary = RunSummary.model_validate_json((folder / SUMMARY).read_bytes())
        lines = (folder / RESULTS).read_text(encoding="utf-8").splitlines()
        records = [ItemRecord.model_validate_json(line) for line in lines if line.strip()]
    except (OSError, ValidationError) as error:
        raise RunDirError(
            f"{folder} is not a readable run directory ({error}): pass a folder that "
            f"`rag-eval run` wrote, with {SUMMARY} and {RESULTS} in it"
        ) from error
    return records, summary
