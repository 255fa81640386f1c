"""Where indexing jobs are kept for `GET /jobs/{id}`: the `Job` record and the `JobStore` role.

The replica that takes a write runs its job (`qa_service.indexing.IndexJobs`) and saves each
status transition to the job store; any reader asks the store. With an index directory the
store is the process's memory (`MemoryJobStore`: its versions are per process anyway); with
PostgreSQL it is a table every replica reads (`qa_service.postgres_jobs.PostgresJobStore`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

__all__ = [
    "KEPT_JOBS",
    "ChangeOut",
    "Job",
    "JobStatus",
    "JobStore",
    "MemoryJobStore",
    "now",
]

KEPT_JOBS = 1000  # finished jobs remembered for GET /jobs/{id}
JobStatus = Literal["queued", "running", "done", "failed"]
_UNFINISHED: frozenset[JobStatus] = frozenset({"queued", "running"})


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


class JobStore(Protocol):
    """Jobs as their worker last saved them. `lease_seconds` is None for a store only its own
    process writes; otherwise the worker calls `renew` more often than that while it has
    unfinished jobs, and readers report a job whose lease ran out as failed."""

    lease_seconds: float | None

    def add(self, job: Job) -> None:
        """Record a new (queued) job, forgetting finished ones beyond KEPT_JOBS."""
        ...

    def save(self, jobs: Sequence[Job]) -> None:
        """Record the jobs' new status (and version, error, embedded, finished_at)."""
        ...

    def renew(self) -> None:
        """Extend the lease of this process's unfinished jobs."""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def pending(self) -> list[Job]:
        """The jobs queued or running, oldest first."""
        ...

    def missing(self, job_id: str) -> str:
        """Why no job has this id, and what to do: the 404's message."""
        ...


class MemoryJobStore:
    """The jobs of this process, in memory: the last KEPT_JOBS, until it restarts."""

    lease_seconds: float | None = None

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job.model_copy()
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)

    def save(self, jobs: Sequence[Job]) -> None:
        with self._lock:
            for job in jobs:
                if job.id in self._jobs:
                    self._jobs[job.id] = job.model_copy()

    def renew(self) -> None:
        pass  # only this process runs them, and its jobs die with it

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy() if job else None

    def pending(self) -> list[Job]:
        with self._lock:
            return [j.model_copy() for j in self._jobs.values() if j.status in _UNFINISHED]

    def missing(self, job_id: str) -> str:
        return (
            f"no job has the id {job_id!r}: jobs are kept in the memory of the worker process "
            f"that took the write, the last {KEPT_JOBS}, until it restarts; with RAG_WORKERS "
            "above 1, ask that worker again, or follow GET /readyz"
        )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
