"""`rag-eval`: the entry point that runs the eval on each corpus, gates it, compares runs, sweeps
the abstention threshold and imports SQuAD articles as eval corpora.

Exit codes: 0 fine; 1 the gate failed or `compare` found a regression; 2 the eval could not run
(the message says why and what to do).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from starlette.types import ASGIApp

from corpus import CorpusError, load_corpus
from eval.compare import LATENCY_TOLERANCE, TOLERANCE, Comparison, compare_runs
from eval.corpora import SHIPPED, EvalCorpus, corpus_folder, eval_corpora, get_corpus, gold_file
from eval.dataset import EvalItem, load_eval_set
from eval.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder
from eval.errors import EvalError, GoldDataError
from eval.gate import DEFAULT_GATE, GateResult, Threshold, check_gate, load_gate
from eval.gate_scores import collect_scores, start_service
from eval.indexes import corpus_settings, ensure_index
from eval.metrics.catalogue import CATALOGUE, METRICS
from eval.metrics.support import THRESHOLD, SupportScorer
from eval.records import RESULTS, ItemRecord, RunInfo, RunSummary, read_run, write_run
from eval.reports import write_reports
from eval.reports.markdown import render_sweep
from eval.reports.tables import failed_checks, format_value
from eval.runner import DEFAULT_APP, check_gold, open_client, run_items
from eval.squad import convert_article, read_article, write_converted
from eval.summary import summarise
from eval.support_benchmark import (
    BENCHMARK,
    DEV,
    DEV3,
    HELDOUT,
    JudgeReport,
    PlainChecks,
    answer_latency_ms,
    format_table,
    load_benchmark,
    model_auc,
    score_judge,
)
from eval.sweep import sweep
from indexer.embedding import Embedder
from qa_service.main import create_app

RUNS_DIR = Path("var/eval")
# What `--all-corpora` prints side by side at the end (every metric is in each corpus's report).
OVERVIEW = (
    "retrieval.recall@5",
    "answer.hit",
    "short_answer.exact",
    "short_answer.f1",
    "faithfulness.fully_supported",
    "citations.validity",
    "abstention.recall",
    "abstention.false_rate",
    "grounding.dropped_rate",
    "latency.wall_p50_ms",
)

app = typer.Typer(
    help="Evaluate the QA service on gold sets over several corpora: metrics, reports, a quality "
    "gate per corpus, the abstention sweep.",
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


@dataclass(frozen=True)
class _CorpusRun:
    """One corpus of a run, loaded and checked before anything slow starts."""

    corpus: EvalCorpus
    items: list[EvalItem]
    texts: dict[str, str]
    thresholds: list[Threshold]
    folder: Path


@app.command()
def run(
    split: Annotated[Split, typer.Option(help="Which questions to ask.")] = Split.test,
    corpus: Annotated[
        str, typer.Option(help="The eval corpus: its documents and gold file (eval/corpora.py).")
    ] = SHIPPED,
    all_corpora: Annotated[
        bool,
        typer.Option(
            "--all-corpora", help="Every eval corpus in turn, each into <run directory>/<corpus>."
        ),
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(
            help="Base URL of a running service (serving --corpus); without it the service "
            "runs in process on the corpus's own index, built under var/eval/indexes when stale."
        ),
    ] = None,
    app_path: Annotated[
        str | None,
        typer.Option("--app", help="Another app to run in process, as module:attribute."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory to write.", show_default="var/eval/<--name or timestamp>"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name of the run directory.")] = None,
    gate: Annotated[
        bool,
        typer.Option("--gate", help="Exit 1 unless each corpus meets its thresholds in --config."),
    ] = False,
    config: Annotated[
        Path, typer.Option(help="Gate thresholds (TOML).", show_default="eval/gate.toml")
    ] = DEFAULT_GATE,
    eval_set: Annotated[
        Path | None,
        typer.Option(help="Another gold file (JSONL) for --corpus.", show_default=False),
    ] = None,
    documents: Annotated[
        Path | None,
        typer.Option(help="Another documents folder for --corpus.", show_default=False),
    ] = None,
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
        if answerer and (url or app_path):
            raise EvalError(
                "--answerer applies to the service run in process: a service at --url answers "
                "with its own RAG_ANSWERER"
            )
        if all_corpora and (url or app_path or eval_set or documents):
            raise EvalError(
                "--all-corpora runs each corpus in process on its own index: drop --url, --app, "
                "--eval-set and --documents, or pick one --corpus"
            )
        created = datetime.now(UTC)
        base = out or RUNS_DIR / (name or created.strftime("%Y%m%d-%H%M%S"))
        corpora = (
            list(eval_corpora().values()) if all_corpora else [_corpus(corpus, eval_set, documents)]
        )
        runs = [
            _prepare(
                c, split, base / c.name if all_corpora else base, config if gate else None, limit
            )
            for c in corpora
        ]
        scorer = SupportScorer(SentenceTransformerEmbedder(embedding_model))
        summaries: dict[str, RunSummary] = {}
        failed = False
        for planned in runs:
            info = RunInfo(
                created=created.isoformat(timespec="seconds"),
                corpus=planned.corpus.name,
                split=split.value,
                target=url or app_path or f"in process on {planned.corpus.name}",
                eval_set=str(planned.corpus.gold),
                embedding_model=embedding_model,
                support_threshold=THRESHOLD,
            )
            chosen = answerer.value if answerer else None
            summary = _run_corpus(planned, info, scorer, url, app_path, chosen)
            summaries[planned.corpus.name] = summary
            if gate:
                results = check_gate(summary.overall, planned.thresholds)
                _print_gate(planned.corpus.name, results)
                failed |= not all(result.passed for result in results)
    if len(summaries) > 1:
        _print_overview(summaries)
    if failed:
        raise typer.Exit(1)


def _corpus(name: str, eval_set: Path | None, documents: Path | None) -> EvalCorpus:
    """The named corpus, or the gold file and documents folder given in its place."""
    if eval_set and documents:
        return EvalCorpus(name, documents, eval_set)
    known = get_corpus(name)
    return EvalCorpus(name, documents or known.documents, eval_set or known.gold)


def _prepare(
    corpus: EvalCorpus, split: Split, folder: Path, config: Path | None, limit: int | None
) -> _CorpusRun:
    """Load and check a corpus's gold items, documents and thresholds; fail before any model."""
    thresholds = load_gate(config, corpus.name) if config else []
    items = _load_items(corpus.gold, split)[:limit]
    texts = _load_texts(corpus.documents)
    check_gold(items, texts)
    if (folder / RESULTS).exists():
        raise EvalError(f"{folder} already holds a run: pass another --name or --out")
    return _CorpusRun(corpus, items, texts, thresholds, folder)


def _run_corpus(
    planned: _CorpusRun,
    info: RunInfo,
    scorer: SupportScorer,
    url: str | None,
    app_path: str | None,
    answerer: str | None,
) -> RunSummary:
    """Ask one corpus's questions (building its index first when the service runs here)."""
    target: ASGIApp | str | None = app_path
    if url is None and app_path is None:
        settings = corpus_settings(planned.corpus)
        if answerer:
            settings = settings.model_copy(update={"answerer": answerer})
        reasons = ensure_index(settings)
        if reasons:
            err_console.print(f"built {settings.index_dir}: {'; '.join(reasons)}", markup=False)
        target = create_app(settings)
    with open_client(url, target or DEFAULT_APP) as client:
        records = _with_progress(
            len(planned.items),
            lambda report: run_items(client, planned.items, planned.texts, scorer, report),
        )
    summary = summarise(records, info)
    write_run(planned.folder, records, summary)
    write_reports(planned.folder, records, summary)
    _print_summary(summary)
    out_console.print(
        f"wrote {planned.folder}/ (results.jsonl, summary.json, report.md, report.html)"
    )
    return summary


@app.command("sweep")
def sweep_thresholds(
    corpus: Annotated[str, typer.Option(help="The eval corpus (eval/corpora.py).")] = SHIPPED,
    all_corpora: Annotated[
        bool, typer.Option("--all-corpora", help="Every eval corpus in turn.")
    ] = False,
    split: Annotated[
        Split, typer.Option(help="Which questions; thresholds are chosen on dev, never on test.")
    ] = Split.dev,
    steps: Annotated[int, typer.Option(min=1, help="Rows of the table, less one.")] = 20,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write.", show_default="var/eval/<--name or sweep-timestamp>"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name of the folder.")] = None,
) -> None:
    """Record the evidence gate's score for every question, in process, and sweep the abstention
    threshold: unanswerable questions abstained vs. answerable ones falsely abstained."""
    with _exit_on_eval_error():
        corpora = list(eval_corpora().values()) if all_corpora else [get_corpus(corpus)]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        base = out or RUNS_DIR / (name or f"sweep-{stamp}")
        planned = [(c, _load_items(c.gold, split)) for c in corpora]
        embedder: Embedder | None = None
        for eval_corpus, items in planned:
            service = start_service(corpus_settings(eval_corpus), embedder)
            embedder = service.embedder  # loaded once, shared by the next corpora
            result = sweep(eval_corpus.name, split.value, collect_scores(service, items), steps)
            folder = base / eval_corpus.name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "sweep.json").write_text(result.model_dump_json(indent=2) + "\n")
            report = render_sweep(result)
            (folder / "sweep.md").write_text(report, encoding="utf-8")
            out_console.print(report, markup=False)
            out_console.print(f"wrote {folder}/ (sweep.json, sweep.md)")


@app.command("import-squad")
def import_squad(
    source: Annotated[Path, typer.Argument(help="A SQuAD 2.0 JSON file.")],
    name: Annotated[str, typer.Argument(help="The eval corpus to write, e.g. squad-complexity.")],
    article: Annotated[int, typer.Option(help="Which article of the file (data[N]).")] = 0,
) -> None:
    """Make an eval corpus from a SQuAD 2.0 article: its document and its gold file."""
    with _exit_on_eval_error():
        converted = convert_article(read_article(source, article), source.name)
        write_converted(converted, corpus_folder(name), gold_file(name))
    unanswerable = sum(not item.answerable for item in converted.items)
    out_console.print(
        f"wrote {corpus_folder(name) / converted.file_name} and {gold_file(name)}: "
        f"{len(converted.items)} questions, {unanswerable} unanswerable",
        markup=False,
    )


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
        list[Path] | None,
        typer.Option(
            help="Labelled claim/quote pairs (JSONL); repeat for several sets.",
            show_default="eval/data/support/: benchmark, dev2, dev3 and heldout (.jsonl)",
        ),
    ] = None,
    mistakes: Annotated[
        bool, typer.Option("--mistakes", help="Also list the default judge's wrong verdicts.")
    ] = False,
) -> None:
    """Score the support judges on each labelled set: accuracy per kind and corpus, and speed.
    Each judge is built as the service builds it (`build_judge`), from the same settings."""
    from qa_service.answering import build_judge
    from qa_service.answering.support_model import SupportModelError
    from qa_service.settings import Settings

    with _exit_on_eval_error():
        sets = {path: load_benchmark(path) for path in benchmark or [BENCHMARK, DEV, DEV3, HELDOUT]}
        settings = Settings()
        try:
            checks, model, lexical = (
                build_judge(settings.model_copy(update={"support_judge": name}))
                for name in ("checks", "model", "lexical")
            )
        except SupportModelError as error:
            raise EvalError(str(error)) from error
    for path, items in sets.items():
        reports = {
            "checks (default)": score_judge(checks, items),
            "model": score_judge(model, items),
            "plain checks only": score_judge(PlainChecks(), items),
            "lexical": score_judge(lexical, items),
        }
        auc, undecided = model_auc(reports["model"])
        out_console.print(f"\n## {path.name}: {len(items)} pairs\n", markup=False)
        out_console.print(format_table(reports), markup=False)
        out_console.print(
            f"model ROC AUC on the {undecided} pairs the plain checks leave: {auc:.3f}"
        )
        if mistakes:
            _print_mistakes(reports["checks (default)"])
    every = [item for items in sets.values() for item in items]
    for name, judge in (("checks judge (default)", checks), ("model judge", model)):
        wall, cpu = answer_latency_ms(judge, every)
        out_console.print(
            f"{name}, per answer of 3 paraphrased claims (one call): p50 {wall:.1f} ms wall, "
            f"{cpu:.1f} ms CPU ({cpu / 3:.1f} ms CPU a pair)"
        )


def _print_mistakes(report: JudgeReport) -> None:
    for item, verdict in zip(report.items, report.verdicts, strict=True):
        if not report.correct(item, verdict):
            out_console.print(
                f"{item.corpus}/{item.kind} {verdict.score:.2f} {item.claim} | {verdict.reason}",
                markup=False,
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
    run = summary.run
    table = Table(title=f"{run.corpus}, {run.split}: {summary.overall.questions} questions")
    table.add_column("metric")
    table.add_column("name", style="dim")
    table.add_column("value", justify="right")
    for info in METRICS:
        value = format_value(info, summary.overall.metrics.get(info.name))
        table.add_row(info.label, info.name, value)
    out_console.print(table)


def _print_gate(corpus: str, results: list[GateResult]) -> None:
    failed = [result for result in results if not result.passed]
    if not failed:
        out_console.print(f"gate passed ({corpus}): all {len(results)} thresholds met")
        return
    out_console.print(f"gate FAILED ({corpus}): {len(failed)} of {len(results)} thresholds not met")
    for result in failed:
        out_console.print(f"  {result.describe()}", markup=False)


def _print_overview(summaries: dict[str, RunSummary]) -> None:
    """The headline metrics side by side, one column per corpus."""
    table = Table(title="by corpus")
    table.add_column("metric")
    for corpus in summaries:
        table.add_column(corpus, justify="right")
    table.add_row("questions", *(str(s.overall.questions) for s in summaries.values()))
    for metric in OVERVIEW:
        info = CATALOGUE[metric]
        values = (format_value(info, s.overall.metrics.get(metric)) for s in summaries.values())
        table.add_row(info.label, *values)
    out_console.print(table)


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
