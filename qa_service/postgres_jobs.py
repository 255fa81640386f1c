"""Indexing jobs in PostgreSQL (the `index_jobs` table of `indexer.postgres`'s migrations), so
that `GET /jobs/{id}` answers alike on every replica.

The replica that takes a write inserts its job with its own random id (`replica`) and a lease
(`lease_until`, now + RAG_JOB_LEASE_SECONDS), then saves each status transition; while it has
jobs queued or running it renews their lease every third of that. A reader that finds a job
queued or running whose lease ran out reports it failed, its replica presumed dead: the read
writes nothing, and a replica that was only cut off from the database and finishes the job
after all saves what really happened. Such a job is not requeued: its documents were read from
the request into the dead replica's memory, and only the client can send them again.

Leases are set and compared with the database's clock, so replicas' clocks need not agree, and
each job carries its own, so replicas need not agree on the setting. Finished jobs beyond
KEPT_JOBS are pruned in the transaction that inserts a new one, under a lock so that concurrent
inserts from several replicas take turns.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from indexer.postgres import PostgresStore
from indexer.store import StoreUnavailableError
from qa_service.jobs import KEPT_JOBS, Job

__all__ = ["EXPIRED", "PostgresJobStore"]

EXPIRED = (
    "the replica that took this job stopped renewing its lease before finishing it (it "
    "stopped, or lost the database); some of its documents may be written: send the change "
    "again"
)
# A job whose replica stopped renewing its lease; the row keeps what the replica last saved.
_LAPSED = "(status IN ('queued', 'running') AND lease_until < now())"
_FINISHED = f"(status IN ('done', 'failed') OR {_LAPSED})"
_COLUMNS = f"""
    id, changes, created_at, version, embedded,
    CASE WHEN {_LAPSED} THEN 'failed' ELSE status END AS status,
    CASE WHEN {_LAPSED} THEN lease_until ELSE finished_at END AS finished_at,
    CASE WHEN {_LAPSED} THEN %(expired)s ELSE error END AS error"""
_LEASE = "now() + %(lease)s * interval '1 second'"


class PostgresJobStore:
    """The `JobStore` of every replica reading one database; thread-safe (the store's pool)."""

    def __init__(self, store: Callable[[], PostgresStore | None], lease_seconds: float) -> None:
        self._store = store
        self.lease_seconds: float | None = lease_seconds
        self.replica = uuid.uuid4().hex[:16]  # this process: the leases it renews

    def add(self, job: Job) -> None:
        with self._connection() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(hashtext('grounded-qa jobs'))")
            connection.execute(
                "INSERT INTO index_jobs (id, status, changes, created_at, replica, lease_until) "
                f"VALUES (%(id)s, %(status)s, %(changes)s, %(created_at)s, %(replica)s, {_LEASE})",
                {
                    "id": job.id,
                    "status": job.status,
                    "changes": Jsonb([c.model_dump() for c in job.changes]),
                    "created_at": job.created_at,
                    "replica": self.replica,
                    "lease": self.lease_seconds,
                },
            )
            connection.execute(
                f"DELETE FROM index_jobs WHERE {_FINISHED} AND seq <= (SELECT seq FROM "
                f"index_jobs WHERE {_FINISHED} ORDER BY seq DESC OFFSET %s LIMIT 1)",
                (KEPT_JOBS,),
            )

    def save(self, jobs: Sequence[Job]) -> None:
        """The jobs as their worker (this replica) sees them; a job a reader had presumed
        dead takes the status its worker really reached."""
        with self._connection() as connection:
            connection.cursor().executemany(
                "UPDATE index_jobs SET status = %(status)s, finished_at = %(finished_at)s, "
                "version = %(version)s, error = %(error)s, embedded = %(embedded)s, "
                f"lease_until = {_LEASE} WHERE id = %(id)s AND replica = %(replica)s",
                [
                    {
                        **job.model_dump(exclude={"changes", "created_at"}),
                        "replica": self.replica,
                        "lease": self.lease_seconds,
                    }
                    for job in jobs
                ],
            )

    def renew(self) -> None:
        with self._connection() as connection:
            connection.execute(
                f"UPDATE index_jobs SET lease_until = {_LEASE} "
                "WHERE replica = %(replica)s AND status IN ('queued', 'running')",
                {"replica": self.replica, "lease": self.lease_seconds},
            )

    def get(self, job_id: str) -> Job | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM index_jobs WHERE id = %(id)s", id=job_id)
        return rows[0] if rows else None

    def pending(self) -> list[Job]:
        return self._read(
            f"SELECT {_COLUMNS} FROM index_jobs "
            f"WHERE status IN ('queued', 'running') AND NOT {_LAPSED} ORDER BY seq"
        )

    def missing(self, job_id: str) -> str:
        return (
            f"no job has the id {job_id!r}: the database keeps the last {KEPT_JOBS} finished "
            "jobs, so it is older than those or was never started; check the id in the "
            "Location header of the write's response"
        )

    def _read(self, sql: str, **params: Any) -> list[Job]:
        with self._connection() as connection:
            rows = (
                connection.cursor(row_factory=dict_row)
                .execute(sql, {**params, "expired": EXPIRED})
                .fetchall()
            )
        return [
            Job.model_validate(
                {
                    **row,
                    "created_at": _iso(row["created_at"]),
                    "finished_at": _iso(row["finished_at"]),
                }
            )
            for row in rows
        ]

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        store = self._store()
        if store is None:
            raise StoreUnavailableError(
                "the service has not opened the database yet (GET /readyz says why): retry "
                "once it is ready"
            )
        try:
            with store.connection() as connection:
                yield connection
        except psycopg.errors.UndefinedTable as error:
            raise StoreUnavailableError(
                "the database has no table of indexing jobs: its schema is older than this "
                "service and could not be migrated when it started: run `rag-index build` "
                "with RAG_DATABASE_URL set (it applies the migrations)"
            ) from error


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None
