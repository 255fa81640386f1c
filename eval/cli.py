"""`rag-eval`: the entry point that runs the eval against the service, gates it, and compares runs.

Exit codes: 0 fine; 1 the gate failed or `compare` found a regression; 2 the eval could not run
(the message says why and what to do).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from corpus import DEFAULT_CORPUS_DIR, CorpusError, load_corpus
from eval.compare import LATENCY_TOLERANCE, TOLERANCE, Comparison, compare_runs
from eval.dataset import EVAL_SET, EvalItem, load_eval_set
from eval.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder
from eval.errors import EvalError, GoldDataError
from eval.gate import DEFAULT_GATE, GateResult, check_gate, load_gate
from eval.metrics.catalogue import METRICS
from eval.metrics.support import THRESHOLD, SupportScorer
from eval.records import RESULTS, ItemRecord, RunInfo, RunSummary, read_run, write_run
from eval.reports import write_reports
from eval.reports.tables import failed_checks, format_value
from eval.runner import DEFAULT_APP, Answerer, check_gold, open_client, run_items
from eval.summary import summarise
from eval.support_benchmark import (
    BENCHMARK,
    PlainChecks,
    answer_latency_ms,
    format_table,
    load_benchmark,
    model_auc,
    score_judge,
)

RUNS_DIR = Path("var/eval")

app = typer.Typer(
    help="Evaluate the QA service on the gold eval set: metrics, reports, a quality gate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class AnswererChoice(StrEnum):
    extractive = "extractive"
    generative = "generative"


class Split(StrEnum):
    dev = "dev"
    test = "test"
    all = "all"


@contextmanager
def _exit_on_eval_error() -> Iterator[None]:
    try:
        yield
    except EvalError as error:
        err_console.print(f"rag-eval: {error}", markup=False)
        raise typer.Exit(2) from error


@app.command()
def run(
    split: Annotated[Split, typer.Option(help="Which questions to ask.")] = Split.test,
    url: Annotated[
        str | None,
        typer.Option(help="Base URL of a running service; without it the app runs in process."),
    ] = None,
    app_path: Annotated[
        str, typer.Option("--app", help="The app to run in process, as module:attribute.")
    ] = DEFAULT_APP,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory to write.", show_default="var/eval/<--name or timestamp>"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name of the run directory.")] = None,
    gate: Annotated[
        bool, typer.Option("--gate", help="Exit 1 unless every threshold in --config is met.")
    ] = False,
    config: Annotated[
        Path, typer.Option(help="Gate thresholds (TOML).", show_default="eval/gate.toml")
    ] = DEFAULT_GATE,
    eval_set: Annotated[
        Path,
        typer.Option(help="The gold eval set (JSONL).", show_default="eval/data/eval_set.jsonl"),
    ] = EVAL_SET,
    corpus_dir: Annotated[
        Path,
        typer.Option(
            "--corpus",
            help="The corpus folder the gold quotes point into.",
            show_default="corpus/documents",
        ),
    ] = DEFAULT_CORPUS_DIR,
    embedding_model: Annotated[
        str, typer.Option(help="Model for the support score: a name or a model folder.")
    ] = DEFAULT_MODEL,
    answerer: Annotated[
        AnswererChoice | None,
        typer.Option(
            help="Run the service in process with this answerer (generative: the model at "
            "RAG_LLM_BASE_URL).",
            show_default="RAG_ANSWERER",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Ask only the split's first N questions.")
    ] = None,
) -> None:
    """Ask every question of a split, score the answers, write results and reports."""
    with _exit_on_eval_error():
        thresholds = load_gate(config) if gate else []
        items = _load_items(eval_set, split)[:limit]
        texts = _load_texts(corpus_dir)
        check_gold(items, texts)  # before the model and the app take their time to load
        created = datetime.now(UTC)
        folder = out or RUNS_DIR / (name or created.strftime("%Y%m%d-%H%M%S"))
        if (folder / RESULTS).exists():
            raise EvalError(f"{folder} already holds a run: pass another --name or --out")
        scorer = SupportScorer(SentenceTransformerEmbedder(embedding_model))
        chosen: Answerer | None = None if answerer is None else answerer.value
        with open_client(url, app_path, chosen) as client:
            records = _with_progress(
                len(items), lambda report: run_items(client, items, texts, scorer, report)
            )
        info = RunInfo(
            created=created.isoformat(timespec="seconds"),
            split=split.value,
            target=url or app_path,
            eval_set=str(eval_set),
            embedding_model=embedding_model,
            support_threshold=THRESHOLD,
        )
        summary = summarise(records, info)
        write_run(folder, records, summary)
        write_reports(folder, records, summary)
    _print_summary(summary)
    out_console.print(f"wrote {folder}/ (results.jsonl, summary.json, report.md, report.html)")
    if gate:
        results = check_gate(summary.overall, thresholds)
        _print_gate(results)
        if not all(result.passed for result in results):
            raise typer.Exit(1)


@app.command()
def compare(
    before: Annotated[Path, typer.Argument(help="The earlier run directory (the baseline).")],
    after: Annotated[Path, typer.Argument(help="The later run directory.")],
    tolerance: Annotated[
        float, typer.Option(help="How much a score may drop before it counts (absolute).")
    ] = TOLERANCE,
    latency_tolerance: Annotated[
        float, typer.Option(help="How much a latency may grow before it counts (relative).")
    ] = LATENCY_TOLERANCE,
) -> None:
    """List what got worse from BEFORE to AFTER; exit 1 if anything did."""
    with _exit_on_eval_error():
        comparison = compare_runs(read_run(before), read_run(after), tolerance, latency_tolerance)
    _print_comparison(comparison)
    if comparison.has_regressions:
        raise typer.Exit(1)


@app.command()
def support(
    benchmark: Annotated[
        Path,
        typer.Option(
            help="Labelled claim/quote pairs (JSONL).",
            show_default="eval/data/support/benchmark.jsonl",
        ),
    ] = BENCHMARK,
    mistakes: Annotated[
        bool, typer.Option("--mistakes", help="Also list the model judge's wrong verdicts.")
    ] = False,
) -> None:
    """Score the support judges on the benchmark: accuracy per kind and corpus, and speed."""
    from qa_service.answering.judging import LexicalJudge, ModelJudge
    from qa_service.answering.support_model import SupportModelError
    from qa_service.settings import Settings

    with _exit_on_eval_error():
        items = load_benchmark(benchmark)
        try:
            model = ModelJudge()
        except SupportModelError as error:
            raise EvalError(str(error)) from error
        lexical = LexicalJudge(Settings().support_threshold)
        reports = {
            "model": score_judge(model, items),
            "plain checks only": score_judge(PlainChecks(), items),
            "lexical": score_judge(lexical, items),
        }
        wall, cpu = answer_latency_ms(model, items)
        auc, undecided = model_auc(reports["model"])
    out_console.print(format_table(reports), markup=False)
    out_console.print(f"model ROC AUC on the {undecided} pairs the plain checks leave: {auc:.3f}")
    out_console.print(
        f"model judge, per answer of 3 claims the model reads (one batch): p50 {wall:.1f} ms "
        f"wall, {cpu:.1f} ms CPU"
    )
    if mistakes:
        report = reports["model"]
        for item, verdict in zip(report.items, report.verdicts, strict=True):
            if not report.correct(item, verdict):
                out_console.print(
                    f"{item.corpus}/{item.kind} {verdict.score:.2f} {item.claim}", markup=False
                )


def _load_items(path: Path, split: Split) -> list[EvalItem]:
    try:
        items = load_eval_set(path).split(split.value)
    except FileNotFoundError as error:
        raise GoldDataError(f"no eval set at {path}: write it, or pass --eval-set") from error
    except ValueError as error:  # bad JSON, or an item that breaks the schema (ValidationError)
        raise GoldDataError(f"{path} is not a valid eval set: {error}") from error
    if not items:
        raise GoldDataError(
            f"{path} has no question in split {split.value!r}: pick another --split"
        )
    return items


def _load_texts(folder: Path) -> dict[str, str]:
    try:
        return {document.id: document.text for document in load_corpus(folder)}
    except CorpusError as error:
        raise EvalError(str(error)) from error


def _with_progress(
    total: int, work: Callable[[Callable[[ItemRecord], None]], list[ItemRecord]]
) -> list[ItemRecord]:
    """Run `work`, showing a progress bar on a terminal and one line per question otherwise."""
    if not err_console.is_terminal:
        done = 0

        def line(record: ItemRecord) -> None:
            nonlocal done
            done += 1
            outcome = "pass" if record.passed else "fail: " + ", ".join(failed_checks(record))
            err_console.print(f"[{done}/{total}] {record.item.id} {outcome}", markup=False)

        return work(line)
    columns = (
        TextColumn("asking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task("ask", total=total, failed=0)
        failed = 0

        def advance(record: ItemRecord) -> None:
            nonlocal failed
            failed += not record.passed
            progress.update(task, advance=1, failed=failed)

        return work(advance)


def _print_summary(summary: RunSummary) -> None:
    table = Table(title=f"{summary.run.split}: {summary.overall.questions} questions")
    table.add_column("metric")
    table.add_column("name", style="dim")
    table.add_column("value", justify="right")
    for info in METRICS:
        value = format_value(info, summary.overall.metrics.get(info.name))
        table.add_row(info.label, info.name, value)
    out_console.print(table)


def _print_gate(results: list[GateResult]) -> None:
    failed = [result for result in results if not result.passed]
    if not failed:
        out_console.print(f"gate passed: all {len(results)} thresholds met")
        return
    out_console.print(f"gate FAILED: {len(failed)} of {len(results)} thresholds not met")
    for result in failed:
        out_console.print(f"  {result.describe()}", markup=False)


def _print_comparison(comparison: Comparison) -> None:
    for change in comparison.regressions:
        before = "n/a" if change.before is None else f"{change.before:.4g}"
        after = "n/a" if change.after is None else f"{change.after:.4g}"
        out_console.print(f"metric regressed: {change.metric} {before} -> {after}", markup=False)
    for question in comparison.questions:
        out_console.print(
            f"question regressed: {question.id} ({', '.join(question.checks)}): "
            f"{question.question}",
            markup=False,
        )
    if not comparison.has_regressions:
        out_console.print("no regressions")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
