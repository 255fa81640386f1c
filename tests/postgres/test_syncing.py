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


def _on_a_new_database(
    settings: Settings, service: QAService, database: Database, tmp_path: Path
) -> Settings:
    """Settings for `DOCUMENTS` in a corpus folder, loaded into a database of their own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCUMENTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return settings.model_copy(
        update={
            "corpus_dir": corpus,
            "database_url": SecretStr(database.create()),
            # the session's query encoder embeds the documents: no second model to load
            "build_encoder": service.embedder.identity.encoder,
        }
    )


def test_the_build_loads_only_what_changed(
    settings: Settings, service: QAService, database: Database, tmp_path: Path
) -> None:
    local = _on_a_new_database(settings, service, database, tmp_path)
    corpus = local.corpus_dir
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


def test_a_sync_with_nothing_to_load_measures_a_changed_query_encoder_again(
    settings: Settings, service: QAService, database: Database, tmp_path: Path
) -> None:
    """A new export recipe (or onnxruntime) changes the query encoder's file: the next build
    measures it again although no document changed, so the service does not refuse the store."""
    local = _on_a_new_database(settings, service, database, tmp_path)
    sync_database(local, embedders=[service.embedder])
    store = PostgresStore.connect(local, service.embedder.identity.dimension)
    meta = store.meta()
    assert meta is not None and meta.embedding is not None and meta.analysis is not None
    assert meta.chunking is not None
    kind = local.query_encoder
    current = meta.query_encoders[kind]
    assert current.sha256 == service.embedder.identity.encoder_sha256
    stale = {**meta.query_encoders, kind: current.model_copy(update={"sha256": "0" * 64})}
    store.set_meta(meta.embedding, meta.analysis.key, meta.chunking, stale)
    store.close()

    again = sync_database(local, embedders=[service.embedder])
    assert (again.added, again.updated, sorted(again.unchanged)) == (
        [],
        [],
        ["euphrates", "tigris"],
    )
    served = QAService(local, embedder=service.embedder)
    assert isinstance(served.store, PostgresStore)
    meta = served.store.meta()
    assert meta is not None
    assert meta.query_encoders[kind].sha256 == service.embedder.identity.encoder_sha256
    assert (
        "2,800 kilometres" in served.ask(AskRequest(question="How long is the Euphrates?")).answer
    )
    served.store.close()
