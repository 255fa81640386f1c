"""Support benchmark -> how often a `SupportJudge` is right, per perturbation kind and per corpus.

The benchmark (eval/data/support/benchmark.jsonl) holds labelled (claim, quote) pairs from three
corpora: faithful claims (paraphrases, shortened claims, merges of two quoted sentences) that the
judge must accept and perturbed ones (negation, number, unit, date, swapped roles, another name,
added content) that it must reject. The held-out set (heldout.jsonl) has the same kinds over
other corpora, written before the judge was tuned and never read to tune it: the figures that
say whether the judge generalises. The second dev set (dev2.jsonl) holds pairs over yet other
texts (SQuAD sentences the benchmark lacks, general prose, the style guide), written to tune
the judge's general mechanisms without reading the held-out set; the third (dev3.jsonl) over
texts of other kinds (a recipe, a lease, an API reference, a news report, hard-wrapped prose).
`rag-eval support` prints the four sets' figures for each judge.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from eval.errors import GoldDataError
from eval.metrics.latency import percentile
from qa_service.answering.judging import plain_verdict
from qa_service.answering.roles import SupportJudge, Verdict

SUPPORT_DATA = Path(__file__).resolve().parent / "data" / "support"
BENCHMARK = SUPPORT_DATA / "benchmark.jsonl"
HELDOUT = SUPPORT_DATA / "heldout.jsonl"
DEV = SUPPORT_DATA / "dev2.jsonl"
DEV3 = SUPPORT_DATA / "dev3.jsonl"
FAITHFUL_KINDS = ("paraphrase", "shortened", "merge")
PERTURBED_KINDS = ("negation", "number", "unit", "date", "swap", "entity", "added")
KINDS = FAITHFUL_KINDS + PERTURBED_KINDS
TARGETS = {"perturbed_rejected": 0.97, "faithful_accepted": 0.85}


@dataclass(frozen=True)
class BenchmarkItem:
    claim: str
    quote: str
    label: Literal[0, 1]  # 1: the quote supports the claim
    kind: str
    corpus: str
    written: Literal["hand", "generated"]


def load_benchmark(path: Path = BENCHMARK) -> list[BenchmarkItem]:
    """The benchmark's pairs; a malformed line is an error that names it."""
    if not path.is_file():
        raise GoldDataError(f"the support benchmark {path} is missing: restore it from git")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = BenchmarkItem(**row)
        except (json.JSONDecodeError, TypeError) as error:
            raise GoldDataError(f"{path}:{number}: not a benchmark pair ({error})") from error
        expected = 1 if item.kind in FAITHFUL_KINDS else 0
        if (
            item.kind not in KINDS
            or item.label != expected
            or item.written not in ("hand", "generated")
        ):
            raise GoldDataError(
                f"{path}:{number}: kind {item.kind!r} with label {item.label!r} is not valid "
                f"(faithful kinds {FAITHFUL_KINDS} are 1, perturbations {PERTURBED_KINDS} are 0)"
            )
        if not item.claim.strip() or not item.quote.strip():
            raise GoldDataError(f"{path}:{number}: the claim and the quote must not be empty")
        items.append(item)
    return items


@dataclass(frozen=True)
class JudgeReport:
    items: list[BenchmarkItem]
    verdicts: list[Verdict]

    def correct(self, item: BenchmarkItem, verdict: Verdict) -> bool:
        return verdict.supported == (item.label == 1)

    def accuracy(self, field: Literal["kind", "corpus"], value: str) -> tuple[int, int]:
        """(right, total) over the items whose `field` is `value`."""
        pairs = [(i, v) for i, v in zip(self.items, self.verdicts, strict=True)]
        chosen = [self.correct(i, v) for i, v in pairs if getattr(i, field) == value]
        return sum(chosen), len(chosen)

    def share(self, label: int) -> float:
        """The share of faithful (1) or perturbed (0) claims judged right."""
        chosen = [
            self.correct(i, v)
            for i, v in zip(self.items, self.verdicts, strict=True)
            if i.label == label
        ]
        return sum(chosen) / len(chosen) if chosen else 0.0

    def figures(self) -> dict[str, float]:
        figures = {
            "perturbed_rejected": round(self.share(0), 4),
            "faithful_accepted": round(self.share(1), 4),
        }
        for kind in KINDS:
            right, total = self.accuracy("kind", kind)
            if total:
                figures[f"kind:{kind}"] = round(right / total, 4)
        for corpus in sorted({i.corpus for i in self.items}):
            right, total = self.accuracy("corpus", corpus)
            figures[f"corpus:{corpus}"] = round(right / total, 4)
        return figures


class PlainChecks:
    """The model judge's first two steps alone, accepting what they leave undecided: what the
    model adds is the difference between its column and this one."""

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        return [plain_verdict(claim, quote) or Verdict(True, 0.5) for claim, quote in pairs]


def score_judge(judge: SupportJudge, items: Sequence[BenchmarkItem]) -> JudgeReport:
    """The judge's verdict on every pair, in one batch."""
    verdicts = judge.judge([(item.claim, item.quote) for item in items])
    return JudgeReport(list(items), verdicts)


def model_auc(model: JudgeReport) -> tuple[float, int]:
    """ROC AUC of the model's scores on the pairs the plain checks leave to it, and their count:
    how well the model itself separates faithful from perturbed claims."""
    left = [
        (verdict.score, item.label)
        for item, verdict in zip(model.items, model.verdicts, strict=True)
        if plain_verdict(item.claim, item.quote) is None
    ]
    positives = [score for score, label in left if label == 1]
    negatives = [score for score, label in left if label == 0]
    if not positives or not negatives:
        return 0.0, len(left)
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives)), len(left)


def answer_latency_ms(
    judge: SupportJudge, items: Sequence[BenchmarkItem], claims: int = 3
) -> tuple[float, float]:
    """Median wall and CPU time of one answer's judging: `claims` paraphrases (which the model
    reads) in one call. CPU time is what the judge costs; wall time adds the machine's load."""
    chosen = [(i.claim, i.quote) for i in items if i.kind == "paraphrase"]
    wall, cpu = [], []
    for start in range(0, len(chosen) - claims + 1, claims):
        began, began_cpu = time.perf_counter(), time.process_time()
        judge.judge(chosen[start : start + claims])
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return percentile(wall, 50) or 0.0, percentile(cpu, 50) or 0.0


def format_table(reports: dict[str, JudgeReport]) -> str:
    """A Markdown table: accuracy per kind and corpus, one column per judge."""
    first = next(iter(reports.values()))
    names = list(reports)
    lines = [
        "| | pairs | " + " | ".join(names) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in names) + " |",
    ]

    def row(label: str, field: Literal["kind", "corpus"], value: str) -> None:
        total = first.accuracy(field, value)[1]
        if total:
            cells = [f"{r.accuracy(field, value)[0] / total:.1%}" for r in reports.values()]
            lines.append(f"| {label} | {total} | " + " | ".join(cells) + " |")

    for kind in KINDS:
        row(f"{kind} ({'accept' if kind in FAITHFUL_KINDS else 'reject'})", "kind", kind)
    for corpus in sorted({i.corpus for i in first.items}):
        row(f"corpus {corpus}", "corpus", corpus)
    counts = {label: sum(i.label == label for i in first.items) for label in (0, 1)}
    lines.append(
        f"| **perturbed rejected** (target ≥ 97%) | {counts[0]} | "
        + " | ".join(f"**{r.share(0):.1%}**" for r in reports.values())
        + " |"
    )
    lines.append(
        f"| **faithful accepted** (target ≥ 85%) | {counts[1]} | "
        + " | ".join(f"**{r.share(1):.1%}**" for r in reports.values())
        + " |"
    )
    return "\n".join(lines)
