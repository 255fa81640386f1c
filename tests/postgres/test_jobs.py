"""Indexing jobs in PostgreSQL: one replica's job read by another, leases that keep a long job
running and let a dead replica's job read as failed, pruning, and the migration that adds the
table to a database loaded by an older build."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from indexer.postgres import MIGRATIONS, PostgresStore
from indexer.store import StoreUnavailableError
from indexer.syncing import import_index
from indexer.updating import Change, Upload
from qa_service import postgres_jobs
from qa_service.indexing import IndexJobs
from qa_service.jobs import Job, now
from qa_service.pipeline import QAService
from qa_service.postgres_jobs import EXPIRED, PostgresJobStore
from qa_service.settings import Settings
from tests.postgres.conftest import Database


@pytest.fixture(scope="module")
def store(settings: Settings, database: Database) -> Iterator[PostgresStore]:
    """A database of its own, migrated (no index needed for jobs)."""
    local = settings.model_copy(update={"database_url": SecretStr(database.create())})
    opened = PostgresStore.connect(local, 384)
    yield opened
    opened.close()


def _replica(store: PostgresStore, lease: float = 30) -> PostgresJobStore:
    """The job store of one replica (its own id) on the shared database."""
    return PostgresJobStore(lambda: store, lease)


def _job(status: str = "queued") -> Job:
    return Job.model_validate(
        {
            "id": f"job-{time.monotonic_ns()}",
            "status": status,
            "changes": [{"kind": "upsert", "doc_id": "owls"}],
            "created_at": now(),
        }
    )


def _until(read: Callable[[], Job | None], status: str, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = read()
        if job is not None and job.status == status:
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job is {read()} after {seconds} s, not {status}")


def test_a_job_saved_by_one_replica_is_read_by_another(store: PostgresStore) -> None:
    first, second = _replica(store), _replica(store)
    job = _job()
    first.add(job)
    assert second.get(job.id) == job
    job.status = "running"
    first.save([job])
    assert second.get(job.id) == job
    assert job.id in [j.id for j in second.pending()]
    job.status, job.embedded, job.finished_at = "done", 12, now()
    first.save([job])
    assert second.get(job.id) == job
    assert job.id not in [j.id for j in second.pending()]
    second.save([job.model_copy(update={"status": "failed"})])  # not its job: ignored
    assert first.get(job.id) == job
    assert second.get("no-such-job") is None
    assert "the database keeps the last 1000 finished jobs" in second.missing("no-such-job")


def test_a_job_whose_lease_ran_out_reads_failed_until_its_replica_finishes_it(
    store: PostgresStore,
) -> None:
    cut_off, reader = _replica(store, lease=1), _replica(store)
    job = _job()
    cut_off.add(job)
    job.status = "running"
    cut_off.save([job])
    assert reader.get(job.id) == job
    time.sleep(1.5)  # nobody renews the lease
    lapsed = reader.get(job.id)
    assert lapsed is not None and lapsed.status == "failed"
    assert lapsed.error == EXPIRED and "send the change again" in EXPIRED
    assert lapsed.finished_at is not None
    assert job.id not in [j.id for j in reader.pending()]
    # the replica was only cut off: what it reports last is what happened
    job.status, job.finished_at = "done", now()
    cut_off.save([job])
    assert reader.get(job.id) == job


@dataclass
class _Report:
    version: str = ""
    embedded_texts: int = 3


class _SlowWriter:
    """An `IndexWriter` whose build lasts until the test releases it: a long job."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def upsert_documents(self, uploads: Sequence[Upload], replace: bool) -> list[Change]:
        return [Change("upsert", "owls")]

    def delete_document(self, doc_id: str) -> Change:
        return Change("delete", doc_id)

    def apply(self, changes: Sequence[Change]) -> _Report:
        assert self.release.wait(60)
        return _Report()


def test_the_replica_running_a_long_job_renews_its_lease(
    pg_settings: Settings, pg_service: QAService, store: PostgresStore
) -> None:
    writer = _SlowWriter()
    jobs = IndexJobs(
        pg_settings, writer, lambda: pg_service, lambda _: None, _replica(store, lease=3)
    )
    reader = _replica(store)
    jobs.start()
    try:
        job = jobs.submit([Change("upsert", "owls")])
        _until(lambda: reader.get(job.id), "running")
        time.sleep(7)  # more than two leases
        running = reader.get(job.id)
        assert running is not None and running.status == "running"
        assert [j.id for j in reader.pending()] == [job.id]
        writer.release.set()
        done = _until(lambda: reader.get(job.id), "done")
        assert done.embedded == 3 and done.error is None
    finally:
        writer.release.set()
        jobs.stop()


def test_finished_jobs_beyond_the_kept_number_are_pruned_when_a_job_is_added(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_jobs, "KEPT_JOBS", 2)
    replica = _replica(store)
    finished = []
    for _ in range(4):
        job = _job()
        replica.add(job)
        job.status, job.finished_at = "done", now()
        replica.save([job])
        finished.append(job.id)
    unfinished = _job()
    replica.add(unfinished)
    assert [replica.get(i) is not None for i in finished] == [False, False, True, True]
    assert replica.get(unfinished.id) is not None


def test_a_replica_that_has_not_opened_the_database_says_to_retry() -> None:
    jobs = PostgresJobStore(lambda: None, 30)
    with pytest.raises(StoreUnavailableError, match="retry once it is ready"):
        jobs.get("any")


def test_a_database_loaded_by_an_older_build_gets_the_jobs_table_when_a_replica_opens_it(
    pg_settings: Settings, service: QAService, database: Database
) -> None:
    local = pg_settings.model_copy(update={"database_url": SecretStr(database.create())})
    loaded = PostgresStore.connect(local, service.index.manifest.embedding.dimension)
    try:
        import_index(loaded, service.index)
        with loaded.connection() as connection:  # as the previous release left it
            connection.execute("DROP TABLE index_jobs")
            connection.execute("DELETE FROM schema_migrations WHERE version = 3")
        assert loaded.schema_version() == 2
        with pytest.raises(StoreUnavailableError, match="rag-index build"):
            _replica(loaded).get("any")
    finally:
        loaded.close()
    opened = PostgresStore.open(local, service.embedder.identity)
    try:
        assert opened.migrations_applied == [3]
        assert opened.schema_version() == MIGRATIONS[-1][0]
        assert [d.id for d in opened.documents()] == list(service.index.documents)
        job = _job()
        _replica(opened).add(job)
        assert _replica(opened).get(job.id) == job
    finally:
        opened.close()
