"""`rag-index`: build the index directory and look inside it."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from corpus import CorpusError
from indexer.artifact import IndexLoadError, load_index
from indexer.building import BuildReport, build_index, index_needs_build
from indexer.embedding import ModelError
from indexer.settings import IndexSettings
from indexer.versions import IndexBuildError

app = typer.Typer(help="Build and inspect the retrieval index.", no_args_is_help=True)
console = Console()


class _BarProgress:
    """A rich progress bar, one task per stage."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        if self._task is not None:  # the previous stage is complete
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 1)
        self._task = self._progress.add_task(name, total=total or 1)
        if total is None:  # a stage without steps shows as done once it starts
            self._progress.update(self._task, completed=1)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


class _LineProgress:
    """Plain lines for logs and pipes: one per stage."""

    def stage(self, name: str, total: int | None = None) -> None:
        print(f"{name}{f' ({total})' if total else ''} ...", flush=True)

    def advance(self, amount: int) -> None:
        pass


def _settings(corpus_dir: Path | None, index_dir: Path | None) -> IndexSettings:
    settings = IndexSettings()
    if corpus_dir is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus_dir})
    if index_dir is not None:
        settings = settings.model_copy(update={"index_dir": index_dir})
    return settings


CorpusOption = Annotated[
    Path | None,
    typer.Option("--corpus", help="Corpus folder (default: RAG_CORPUS_DIR, else corpus/documents)"),
]
IndexOption = Annotated[
    Path | None,
    typer.Option("--index", help="Index folder (default: RAG_INDEX_DIR, else var/index)"),
]


@app.command()
def build(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    if_needed: Annotated[
        bool, typer.Option("--if-needed", help="Only build when the index is missing or stale")
    ] = False,
) -> None:
    """Chunk, embed and index the corpus into a new index directory (with RAG_DATABASE_URL
    set: into PostgreSQL, incrementally, one transaction per document)."""
    settings = _settings(corpus, index)
    if settings.database_url is not None:
        _sync(settings)
        return
    try:
        if if_needed:
            reasons = index_needs_build(settings)
            if not reasons:
                print(f"index at {settings.index_dir} is up to date")
                return
            print(f"building the index: {'; '.join(reasons)}")
        if sys.stdout.isatty():
            with Progress(
                TextColumn("{task.description:<20}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                report = build_index(settings, _BarProgress(bar))
        else:
            report = build_index(settings, _LineProgress())
    except (CorpusError, ModelError, IndexLoadError, IndexBuildError, OSError) as error:
        _fail(error)
    _print_summary(report)


@app.command()
def inspect(
    index: IndexOption = None,
    chunks: Annotated[int, typer.Option(help="How many chunks to show")] = 5,
) -> None:
    """Print the index manifest and a few chunks with their sections."""
    settings = _settings(None, index)
    try:
        loaded = load_index(settings.index_dir, verify_checksums=settings.verify_checksums)
    except IndexLoadError as error:
        _fail(error)
    console.print_json(loaded.manifest.model_dump_json(exclude={"files"}))
    step = max(1, len(loaded.chunks) // max(chunks, 1))
    for chunk in loaded.chunks[::step][:chunks]:
        console.rule(f"{chunk.id}  [{chunk.start}, {chunk.end})  {chunk.tokens} tokens")
        console.print(f"[bold]{chunk.doc_id}[/bold] > {chunk.section}", highlight=False)
        console.print(chunk.text, highlight=False, markup=False)


def _sync(settings: IndexSettings) -> None:
    from indexer.store import StoreUnavailableError  # psycopg is an optional dependency
    from indexer.syncing import sync_database

    try:
        report = sync_database(settings, _LineProgress())
    except (CorpusError, ModelError, IndexLoadError, StoreUnavailableError, OSError) as error:
        _fail(error)
    table = Table(title="Index loaded into PostgreSQL (RAG_DATABASE_URL)", show_header=False)
    for label, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("deleted", report.deleted),
    ):
        table.add_row(f"documents {label}", f"{len(ids)} {', '.join(ids[:5])}".strip())
    table.add_row("chunks written", str(report.chunks_written))
    table.add_row("schema migrations applied", str(report.schema_migrations or "none"))
    for skipped in report.skipped:
        table.add_row(f"skipped: {skipped.name}", skipped.reason)
    for stage, seconds in report.seconds.items():
        table.add_row(f"seconds: {stage}", f"{seconds:.2f}")
    Console(force_terminal=sys.stdout.isatty()).print(table)


def _print_summary(report: BuildReport) -> None:
    table = Table(title=f"Index written to {report.directory}", show_header=False)
    table.add_row("documents", str(report.documents))
    table.add_row("chunks", str(report.chunks))
    table.add_row("sentences", str(report.sentences))
    table.add_row("version", report.version)
    table.add_row("documents reused", str(report.reused_documents))
    table.add_row("chunks and sentences embedded", str(report.embedded_texts))
    table.add_row(
        "tokens per chunk (min / mean / max)",
        f"{report.chunk_tokens_min} / {report.chunk_tokens_mean:.1f} / {report.chunk_tokens_max}",
    )
    for skipped in report.skipped:
        table.add_row(f"skipped: {skipped.name}", skipped.reason)
    for stage, seconds in report.seconds.items():
        table.add_row(f"seconds: {stage}", f"{seconds:.2f}")
    table.add_row("seconds: total", f"{sum(report.seconds.values()):.2f}")
    Console(force_terminal=sys.stdout.isatty()).print(table)


def _fail(error: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False)
    raise typer.Exit(code=1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
