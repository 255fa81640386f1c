"""Changes -> a new index version served without a restart: the job queue, the reload, the watcher.

One worker thread runs the jobs: it takes every job queued so far, applies their changes with
the `IndexWriter` in one build, and loads the new version as a new `QAService` that replaces
the app's. A request holds the service it started with, so it finishes on its version.

The watcher checks the corpus folder every `RAG_WATCH_INTERVAL` seconds: a file added, changed
or removed there (by hand, or left unindexed by a crash) is indexed the same way, and a version
built by another process (`rag-index build`) is loaded.

With PostgreSQL (RAG_DATABASE_URL) a job's change is served once written: there is no version
to load, and no watcher (the database is the truth; `rag-index build` syncs a folder into it).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from corpus import CorpusError, load_corpus
from indexer.building import stale_reasons
from indexer.updating import Change, IndexWriter
from indexer.versions import current_version
from qa_service.pipeline import QAService
from qa_service.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["ChangeOut", "IndexJobs", "Job"]

KEPT_JOBS = 1000  # finished jobs remembered for GET /jobs/{id}
JobStatus = Literal["queued", "running", "done", "failed"]


class ChangeOut(BaseModel, frozen=True):
    kind: Literal["upsert", "delete", "folder"] = Field(
        description="upsert: a document added or replaced; delete: one removed; folder: "
        "changes found in the corpus folder"
    )
    doc_id: str | None = None


class Job(BaseModel):
    """The indexing of one or more document changes."""

    id: str
    status: JobStatus = Field(
        description="queued, running, done (the change is served) or failed (see error)"
    )
    changes: list[ChangeOut]
    created_at: str
    finished_at: str | None = None
    version: str | None = Field(None, description="The index version that serves the change")
    error: str | None = None
    embedded: int | None = Field(None, description="Chunks and sentences embedded by the build")


class IndexJobs:
    """The queue of indexing jobs, its worker thread and the folder watcher."""

    def __init__(
        self,
        settings: Settings,
        writer: IndexWriter,
        current: Callable[[], QAService | None],
        install: Callable[[QAService], None],
    ) -> None:
        self.settings = settings
        self.writer = writer
        self._current = current
        self._install = install
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queued: list[tuple[Job, Sequence[Change]]] = []
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._loading = threading.Lock()  # one new version loaded at a time
        self._unloadable: str | None = None  # a version that failed to load: not retried
        self._versioned = settings.database_url is None  # an index directory, with versions
        self.on_disk: list[str] = []  # what the watcher last found unindexed in the folder
        self._threads = [threading.Thread(target=self._work, name="index-jobs", daemon=True)]
        if self._versioned:
            self._threads.append(
                threading.Thread(target=self._watch, name="corpus-watcher", daemon=True)
            )

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def submit(self, changes: Sequence[Change], folder: bool = False) -> Job:
        job = Job(
            id=uuid.uuid4().hex[:16],
            status="queued",
            changes=[ChangeOut(kind=c.kind, doc_id=c.doc_id) for c in changes]
            or ([ChangeOut(kind="folder")] if folder else []),
            created_at=_now(),
        )
        with self._wake:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
            self._queued.append((job, changes))
            self._wake.notify_all()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._wake:
            job = self._jobs.get(job_id)
            return job.model_copy() if job else None

    def pending(self) -> list[Job]:
        with self._wake:
            return [
                j.model_copy() for j in self._jobs.values() if j.status in {"queued", "running"}
            ]

    def _work(self) -> None:
        while not self._stopping.is_set():
            with self._wake:
                while not self._queued and not self._stopping.is_set():
                    self._wake.wait()
                batch, self._queued = self._queued, []
                for job, _ in batch:
                    job.status = "running"
            if batch:
                self._run([job for job, _ in batch], [c for _, cs in batch for c in cs])

    def _run(self, jobs: list[Job], changes: list[Change]) -> None:
        """One build for every change queued so far, then the new version is served."""
        try:
            report = self.writer.apply(changes)
            if self._versioned:
                self._reload()
        except Exception as error:
            logger.exception("indexing failed")
            message = (
                f"indexing failed ({error}); the previous version is still served: fix the "
                "cause and send the change again"
            )
            self._finish(jobs, "failed", error=message)
            return
        version = report.version or None
        self._finish(jobs, "done", version=version, embedded=report.embedded_texts)

    def _finish(
        self,
        jobs: list[Job],
        status: JobStatus,
        version: str | None = None,
        embedded: int | None = None,
        error: str | None = None,
    ) -> None:
        with self._wake:
            for job in jobs:
                job.status, job.version, job.error = status, version, error
                job.embedded, job.finished_at = embedded, _now()
            self._seen = None  # the watcher compares the folder with the new version

    def _reload(self) -> None:
        """Serve the version the index directory points to, if it is not served already."""
        with self._loading:
            served = self._current()
            version = current_version(self.settings.index_dir)
            if version is None or version == self._unloadable:
                return  # no versioned index yet, or one already found unusable
            if served is not None and version == served.index.version:
                return
            try:
                fresh = QAService(self.settings, embedder=served.embedder if served else None)
            except Exception:
                self._unloadable = version
                raise
            self._install(fresh)
            logger.info("serving index version %s", fresh.index.version)

    def _watch(self) -> None:
        interval = self.settings.watch_interval
        while interval > 0 and not self._stopping.wait(interval):
            try:
                self._check()
            except Exception:
                logger.exception("checking the corpus folder failed")

    def _check(self) -> None:
        """Load a version another process built; index a folder that differs from the index."""
        if self.pending():
            return  # the running job reads the folder; look again once it is done
        self._reload()
        seen = _fingerprint(self.settings.corpus_dir)
        if seen == self._seen:
            return
        served = self._current()
        if served is None:
            return
        try:
            reasons = stale_reasons(
                served.index.manifest, load_corpus(self.settings.corpus_dir), self.settings
            )
        except CorpusError as error:
            logger.error("the corpus cannot be read: %s", error)
            self.on_disk = ["the corpus cannot be read (the server log names the file)"]
            self._seen = seen
            return
        self.on_disk = reasons
        self._seen = seen
        if reasons:
            logger.info("the corpus folder changed (%s): indexing it", "; ".join(reasons))
            self.submit([], folder=True)


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the folder's files: cheap to compare often."""
    try:
        entries = [
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".")
        ]
    except OSError:
        return ()
    return tuple(sorted(entries))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
