"""`rag-index build` with RAG_DATABASE_URL: the corpus folder loaded into PostgreSQL through
the indexing code, one document at a time, and only what changed."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from indexer.postgres import MIGRATIONS, PostgresStore
from indexer.syncing import sync_database
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest
from qa_service.settings import Settings
from tests.postgres.conftest import Database

DOCUMENTS = {
    "tigris.md": "# The Tigris\n\nThe Tigris is 1,850 kilometres long. It rises in Turkey.\n",
    "euphrates.md": "# The Euphrates\n\nThe Euphrates is 2,800 kilometres long.\n",
}


def test_the_build_loads_only_what_changed(
    settings: Settings, service: QAService, database: Database, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCUMENTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    local = settings.model_copy(
        update={
            "corpus_dir": corpus,
            "database_url": SecretStr(database.create()),
            # the session's query encoder embeds the documents: no second model to load
            "build_encoder": service.embedder.identity.encoder,
        }
    )
    first = sync_database(local, embedders=[service.embedder])
    migrations = [version for version, _, _ in MIGRATIONS]
    assert (sorted(first.added), first.schema_migrations) == (["euphrates", "tigris"], migrations)
    again = sync_database(local, embedders=[service.embedder])
    assert (again.added, again.updated, sorted(again.unchanged)) == (
        [],
        [],
        ["euphrates", "tigris"],
    )

    (corpus / "tigris.md").write_text(DOCUMENTS["tigris.md"].replace("1,850", "1,900"))
    (corpus / "euphrates.md").unlink()
    (corpus / "karun.md").write_text("# The Karun\n\nThe Karun is 950 kilometres long.\n")
    changed = sync_database(local, embedders=[service.embedder])
    assert (changed.added, changed.updated, changed.deleted) == (
        ["karun"],
        ["tigris"],
        ["euphrates"],
    )

    served = QAService(local, embedder=service.embedder)
    assert isinstance(served.store, PostgresStore)
    assert sorted(d.id for d in served.documents()) == ["karun", "tigris"]
    answer = served.ask(AskRequest(question="How long is the Tigris?"))
    assert "1,900 kilometres" in answer.answer
    served.store.close()
