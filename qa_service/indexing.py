"""Changes -> a new index version served without a restart: the job queue, the reload, the watcher.

One worker thread runs the jobs: it takes every job queued so far, applies their changes with
the `IndexWriter` in one build, and loads the new version as a new `QAService` that replaces
the app's. A request holds the service it started with, so it finishes on its version.

The watcher checks the corpus folder every `RAG_WATCH_INTERVAL` seconds: a file added, changed
or removed there (by hand, or left unindexed by a crash) is indexed the same way, and a version
built by another process (`rag-index build`) is loaded.

With PostgreSQL (RAG_DATABASE_URL) a job's change is served once written: there is no version
to load, and no watcher (the database is the truth; `rag-index build` syncs a folder into it).

Jobs are saved to a `JobStore` at each transition (queued, running, done or failed), where
`GET /jobs/{id}` reads them: this process's memory for an index directory, a table every
replica reads for PostgreSQL, whose lease a thread renews while this process has jobs unfinished.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from corpus import CorpusError, load_corpus
from indexer.building import stale_reasons
from indexer.updating import Change, IndexWriter
from indexer.versions import current_version
from qa_service.jobs import ChangeOut, Job, JobStatus, JobStore, now
from qa_service.pipeline import QAService
from qa_service.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["IndexJobs"]


class IndexJobs:
    """The queue of indexing jobs, its worker thread, the folder watcher and the job lease."""

    def __init__(
        self,
        settings: Settings,
        writer: IndexWriter,
        current: Callable[[], QAService | None],
        install: Callable[[QAService], None],
        store: JobStore,
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.store = store
        self._current = current
        self._install = install
        self._queued: list[tuple[Job, Sequence[Change]]] = []
        self._unfinished = 0  # jobs of this process queued or running
        self._unsaved: list[Job] = []  # finished, but the store could not be told: retried
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
        if self.store.lease_seconds is not None:
            self._threads.append(
                threading.Thread(target=self._renew, name="job-lease", daemon=True)
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
        """Queue the changes as a new job; recorded in the store first, so a reader never
        sees it older than it is. The job runs even when the store cannot record it (the
        writer holds its checked documents until a job writes them): the error then tells the
        client to retry."""
        job = Job(
            id=uuid.uuid4().hex[:16],
            status="queued",
            changes=[ChangeOut(kind=c.kind, doc_id=c.doc_id) for c in changes]
            or ([ChangeOut(kind="folder")] if folder else []),
            created_at=now(),
        )
        try:
            self.store.add(job)
        finally:
            with self._wake:
                self._queued.append((job, changes))
                self._unfinished += 1
                self._wake.notify_all()
        return job

    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id)

    def pending(self) -> list[Job]:
        """The jobs queued or running: this process's with an index directory, every
        replica's with PostgreSQL (whose jobs all change what every replica serves)."""
        return self.store.pending()

    def _work(self) -> None:
        while not self._stopping.is_set():
            with self._wake:
                while not self._queued and not self._stopping.is_set():
                    self._wake.wait()
                batch, self._queued = self._queued, []
            if batch:
                jobs = [job for job, _ in batch]
                for job in jobs:
                    job.status = "running"
                self._save(jobs)
                self._run(jobs, [c for _, cs in batch for c in cs])

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
        for job in jobs:
            job.status, job.version, job.error = status, version, error
            job.embedded, job.finished_at = embedded, now()
        if not self._save(jobs):
            with self._wake:
                self._unsaved.extend(jobs)
        with self._wake:
            self._unfinished -= len(jobs)
            self._seen = None  # the watcher compares the folder with the new version

    def _save(self, jobs: list[Job]) -> bool:
        """Tell the store; a store that cannot be reached is not the job's failure (readers
        then see the job's lease run out, unless a later save gets through)."""
        try:
            self.store.save(jobs)
        except Exception:
            logger.exception("the indexing jobs %s could not be saved", [j.id for j in jobs])
            return False
        return True

    def _renew(self) -> None:
        """Renew the lease of this process's unfinished jobs, and save finished ones whose
        last save failed, every third of the lease."""
        assert self.store.lease_seconds is not None
        while not self._stopping.wait(self.store.lease_seconds / 3):
            with self._wake:
                unsaved, self._unsaved = self._unsaved, []
                unfinished = self._unfinished
            if unsaved and not self._save(unsaved):
                with self._wake:
                    self._unsaved = unsaved + self._unsaved
            if unfinished:
                try:
                    self.store.renew()
                except Exception as error:
                    logger.warning("the indexing jobs' lease could not be renewed: %s", error)

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
