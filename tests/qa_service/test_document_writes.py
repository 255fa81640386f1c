"""Documents in and out through a real `rag-serve` server: uploads answered without a restart
while other clients keep asking, replace, delete, concurrent uploads, keys, corrupt uploads,
the watched folder, and kill -9 in the middle of an indexing job."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from corpus import DEFAULT_CORPUS_DIR, load_corpus
from indexer.artifact import load_index
from indexer.building import build_index
from indexer.embedding import open_embedder
from indexer.versions import versions_dir
from qa_service.settings import Settings
from tests.servers import LiveServer, start_server, stop_server

READ = {"authorization": "Bearer read-key"}
ADMIN = {"authorization": "Bearer admin-key"}
OLD_QUESTION = "Where did fires break out this summer?"
OLD_DOCUMENT = "iraq-distancing-from-iran"
WATER = {
    "id": "water-agreement",
    "title": "The Zubair water agreement",
    "text": "# The Zubair water agreement\n\nIn 2031 Iraq and the fictional Republic of Varnistan "
    "signed the Zubair water agreement, which shares the Tigris flow at 37 percent for "
    "Varnistan.\n",
}


def _env(corpus: Path, index: Path) -> dict[str, str]:
    return {
        "RAG_CORPUS_DIR": str(corpus),
        "RAG_BUILD_ENCODER": "onnx-fp32",  # what built the index below
        "RAG_WATCH_INTERVAL": "0.3",
        "RAG_READ_API_KEYS": json.dumps(["read-key"]),
        "RAG_ADMIN_API_KEYS": json.dumps(["admin-key"]),
        "RAG_RATE_LIMIT_PER_MINUTE": "0",
        "RAG_CACHE_BYTES": "0",
        "RAG_LOG_LEVEL": "INFO",
    }


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One shipped document, indexed by the ONNX encoder: a corpus and index to copy."""
    root = tmp_path_factory.mktemp("small")
    (root / "corpus").mkdir()
    shutil.copy(DEFAULT_CORPUS_DIR / f"{OLD_DOCUMENT}.txt", root / "corpus")
    settings = Settings(  # type: ignore[call-arg]
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        build_encoder="onnx-fp32",
        _env_file=None,
    )
    build_index(settings, embedders=[open_embedder(settings, "onnx-fp32", "build")])
    return root / "corpus", root / "index"


def _copy(small_index: tuple[Path, Path], to: Path) -> tuple[Path, Path]:
    corpus, index = small_index
    shutil.copytree(corpus, to / "corpus")
    shutil.copytree(versions_dir(index), versions_dir(to / "index"))
    os.symlink(os.readlink(index), to / "index")  # relative: index.versions/<id>
    return to / "corpus", to / "index"


@pytest.fixture(scope="module")
def served(
    small_index: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path_factory.mktemp("writes")
    corpus, index = _copy(small_index, root)
    server = start_server(index, root / "server.log", **_env(corpus, index))
    yield server, corpus
    stop_server(server)


@pytest.fixture
def admin(served: tuple[LiveServer, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0].url, headers=ADMIN, timeout=60) as client:
        yield client


def finished(client: httpx.Client, job: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """The job once it is done (or failed), polled through GET /jobs/{id}."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/jobs/{job['id']}").json()
        if state["status"] in {"done", "failed"}:
            return state  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job['id']} did not finish in {timeout} s")


def ask(client: httpx.Client, question: str) -> dict[str, Any]:
    response = client.post("/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def ids(client: httpx.Client) -> set[str]:
    return {d["id"] for d in client.get("/documents").json()}


def test_an_uploaded_document_is_answered_while_others_keep_asking(
    admin: httpx.Client, served: tuple[LiveServer, Path]
) -> None:
    server, _ = served
    version = admin.get("/readyz").json()["version"]
    answers: list[dict[str, Any]] = []
    failures: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=server.url, headers=READ, timeout=60) as reader:
            while not stop.is_set():
                response = reader.post("/ask", json={"question": OLD_QUESTION})
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text}")
                else:
                    answers.append(response.json())

    readers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        accepted = admin.post("/documents", json=WATER)
        assert accepted.status_code == 202, accepted.text
        assert accepted.headers["location"] == f"/jobs/{accepted.json()['id']}"
        job = finished(admin, accepted.json())
        during = len(answers)
        time.sleep(1)  # and after the switch
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert job["status"] == "done" and job["version"] != version, job
    assert failures == []
    assert during > 0 and len(answers) > during
    for answer in answers:  # the old corpus, answered the same before, during and after
        assert not answer["abstained"] and "Latakia" in answer["answer"]
        assert answer["citations"][0]["doc_id"] == OLD_DOCUMENT

    ready = admin.get("/readyz").json()
    assert ready["version"] == job["version"] and ready["pending"]["jobs"] == []
    missing = admin.get("/jobs/0123456789abcdef")
    assert missing.status_code == 404  # the index directory's jobs live in the worker process
    assert "kept in the memory of the worker process" in missing.json()["detail"]
    response = ask(admin, "What share of the Tigris flow goes to Varnistan?")
    citation = response["citations"][0]
    assert not response["abstained"] and "37 percent" in response["answer"]
    assert citation["doc_id"] == "water-agreement"
    text = admin.get("/documents/water-agreement").json()["text"]
    assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_concurrent_uploads_of_files_in_several_formats(
    admin: httpx.Client, served: tuple[LiveServer, Path]
) -> None:
    uploads = [
        [
            (
                "files",
                ("pelicans.md", b"# Pelican survey\n\nThe 2029 survey counted 4,812 pelicans."),
            )
        ],
        [
            (
                "files",
                (
                    "ferry.html",
                    b"<html><head><title>Ferry</title></head><body><h1>Umm Qasr ferry</h1>"
                    b"<p>The ferry to Umm Qasr leaves at 7:15 every Tuesday.</p></body></html>",
                ),
            ),
            ("files", ("dates.txt", b"Date harvest\n\nThe Basra date harvest begins in August.")),
        ],
        [("files", ("salt.md", b"# Salt flats\n\nThe Samawah salt flats cover 300 hectares."))],
    ]

    def upload(files: list[tuple[str, tuple[str, bytes]]]) -> dict[str, Any]:
        with httpx.Client(base_url=served[0].url, headers=ADMIN, timeout=60) as own:
            accepted = own.post("/documents", files=files)
            assert accepted.status_code == 202, accepted.text
            return finished(own, accepted.json())

    with ThreadPoolExecutor(len(uploads)) as pool:
        jobs = list(pool.map(upload, uploads))
    assert [job["status"] for job in jobs] == ["done"] * len(uploads)
    assert {"pelicans", "ferry", "dates", "salt"} <= ids(admin)
    assert admin.get("/documents/ferry").json()["title"] == "Umm Qasr ferry"
    response = ask(admin, "When does the ferry to Umm Qasr leave?")
    assert response["citations"][0]["doc_id"] == "ferry" and "7:15" in response["answer"]


def test_a_document_is_replaced_then_deleted(
    admin: httpx.Client, served: tuple[LiveServer, Path]
) -> None:
    corpus = served[1]
    first = {"text": "# Lighthouse\n\nThe Fao lighthouse is 41 metres tall.\n"}
    assert (
        finished(admin, admin.post("/documents", json={"id": "lighthouse", **first}).json())[
            "status"
        ]
        == "done"
    )
    taller = {"text": "# Lighthouse\n\nThe Fao lighthouse is 58 metres tall since 2030.\n"}
    replaced = admin.put("/documents/lighthouse", json=taller)
    assert replaced.status_code == 202 and finished(admin, replaced.json())["status"] == "done"
    text = admin.get("/documents/lighthouse").json()["text"]
    assert "58 metres" in text and "41 metres" not in text
    assert "58 metres" in ask(admin, "How tall is the Fao lighthouse?")["answer"]
    as_file = admin.put(
        "/documents/lighthouse",
        files=[("files", ("lighthouse.txt", b"Lighthouse\n\nThe Fao lighthouse is 60 metres."))],
    )
    assert as_file.status_code == 202 and finished(admin, as_file.json())["status"] == "done"
    assert sorted(p.name for p in corpus.glob("lighthouse*")) == ["lighthouse.txt"]

    deleted = admin.delete("/documents/lighthouse")
    assert deleted.status_code == 202 and finished(admin, deleted.json())["status"] == "done"
    assert admin.get("/documents/lighthouse").status_code == 404
    assert list(corpus.glob("lighthouse*")) == []
    response = ask(admin, "How tall is the Fao lighthouse?")
    assert all(c["doc_id"] != "lighthouse" for c in response["citations"])
    assert admin.delete("/documents/lighthouse").status_code == 404
    assert admin.put("/documents/lighthouse", json=taller).status_code == 404
    conflict = admin.post("/documents", json={"id": OLD_DOCUMENT, **first})
    assert conflict.status_code == 409 and "PUT /documents" in conflict.json()["detail"]


def _folder(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(corpus.iterdir())}


def test_writes_need_an_admin_key(admin: httpx.Client, served: tuple[LiveServer, Path]) -> None:
    server, corpus = served
    job = admin.post("/documents", json={"text": "# Owls\n\nOwls hunt at night.\n"}).json()
    finished(admin, job)
    before, documents = _folder(corpus), ids(admin)
    writes = [
        ("POST", "/documents", {"json": WATER | {"id": "intruder"}}),
        ("PUT", f"/documents/{OLD_DOCUMENT}", {"json": {"text": "# Gone\n\nReplaced."}}),
        ("DELETE", "/documents/owls", {}),
        ("GET", f"/jobs/{job['id']}", {}),
    ]
    for headers, status, kind in [({}, 401, "unauthorized"), (READ, 403, "forbidden")]:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as other:
            for method, path, body in writes:
                refused = other.request(method, path, **body)  # type: ignore[arg-type]
                assert refused.status_code == status, (method, path, refused.text)
                assert refused.json()["error"] == kind
                assert "ADMIN_KEY" in refused.json()["detail"]
    time.sleep(1)  # a watcher tick: nothing to index either
    assert _folder(corpus) == before and ids(admin) == documents


def test_a_corrupt_upload_is_rejected_and_changes_nothing(
    admin: httpx.Client, served: tuple[LiveServer, Path]
) -> None:
    corpus = served[1]
    before, version = _folder(corpus), admin.get("/readyz").json()["version"]
    good = ("files", ("good.md", b"# Good\n\nA readable document."))
    for files, message in [
        ([("files", ("broken.pdf", b"%PDF-1.7\n" + os.urandom(400)))], "cannot be read"),
        ([good, ("files", ("broken.docx", b"PK\x03\x04 not a zip"))], "cannot be read"),
        ([("files", ("program.exe", b"MZ\x90\x00"))], "not a supported type"),
        ([("files", ("empty.md", b"  \n"))], "has no text"),
        ([("files", ("latin1.txt", "caf\xe9".encode("latin-1")))], "not UTF-8"),
    ]:
        refused = admin.post("/documents", files=files)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "document_rejected"
        assert message in refused.json()["detail"]
    bad_id = admin.post("/documents", json={"id": "Not An Id", "text": "Some text."})
    assert bad_id.status_code == 422 and "'not-an-id'" in bad_id.json()["detail"]
    assert (
        admin.post("/documents", content=b"x", headers={"content-type": "text/csv"}).json()["error"]
        == "unsupported_media_type"
    )
    assert admin.post("/documents", json={"text": "   "}).status_code == 422
    time.sleep(1)  # a watcher tick: nothing to index either
    assert _folder(corpus) == before  # no file, no temporary left behind
    ready = admin.get("/readyz").json()
    assert ready["version"] == version and ready["pending"] == {"jobs": [], "on_disk": []}


def test_a_file_dropped_in_the_folder_is_indexed_and_pending_meanwhile(
    admin: httpx.Client, served: tuple[LiveServer, Path]
) -> None:
    corpus = served[1]
    (corpus / "heron.md").write_text("# Herons\n\nThe grey heron nests in the Hawizeh marshes.\n")
    seen_pending = False
    deadline = time.monotonic() + 300
    while "heron" not in ids(admin) and time.monotonic() < deadline:
        pending = admin.get("/readyz").json()["pending"]
        seen_pending = seen_pending or bool(pending["jobs"] or pending["on_disk"])
        time.sleep(0.05)
    assert "heron" in ids(admin) and seen_pending
    response = ask(admin, "Where does the grey heron nest?")
    assert response["citations"][0]["doc_id"] == "heron"
    (corpus / "heron.md").unlink()
    deadline = time.monotonic() + 300
    while "heron" in ids(admin) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "heron" not in ids(admin)


def test_the_write_endpoints_are_documented_with_examples(admin: httpx.Client) -> None:
    paths = admin.get("/openapi.json").json()["paths"]
    post = paths["/documents"]["post"]
    content = post["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    assert content["application/json"]["example"]["text"].startswith("# ")
    assert content["multipart/form-data"]["schema"]["properties"]["files"]["type"] == "array"
    assert {"202", "401", "403", "409", "422"} <= set(post["responses"])
    assert {"get", "put", "delete"} <= set(paths["/documents/{doc_id}"])
    assert "get" in paths["/jobs/{job_id}"]


def _stored_and_indexed_agree(corpus: Path, index: Path) -> None:
    stored = {d.id: d.content_hash for d in load_corpus(corpus)}
    indexed = {d.id: d.sha256 for d in load_index(index).manifest.corpus.documents}
    assert stored == indexed


def test_kill_9_during_indexing_then_restart(
    small_index: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, index = _copy(small_index, tmp_path)
    env = _env(corpus, index)
    server = start_server(index, tmp_path / "first.log", **env)
    try:
        with httpx.Client(base_url=server.url, headers=ADMIN, timeout=60) as client:
            served_version = client.get("/readyz").json()["version"]
            job = client.post("/documents", json=WATER).json()
            while client.get(f"/jobs/{job['id']}").json()["status"] == "queued":
                time.sleep(0.005)
            server.process.kill()  # SIGKILL, in the middle of the build
            server.process.wait()
    finally:
        stop_server(server)
    # The stored file is there; the index is a whole version (it verifies), most likely the
    # one served, or the new one if the build won the race with the kill.
    assert (corpus / "water-agreement.md").exists()
    loaded = load_index(index)
    assert loaded.version == served_version or "water-agreement" in loaded.documents
    dead = versions_dir(index) / ".building-killed00"  # what a kill while writing leaves
    dead.mkdir(parents=True)
    (dead / "chunks.jsonl").write_text("half a row")

    server = start_server(index, tmp_path / "second.log", **env)
    try:
        with httpx.Client(base_url=server.url, headers=ADMIN, timeout=60) as client:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                ready = client.get("/readyz").json()
                if "water-agreement" in ids(client) and not any(ready["pending"].values()):
                    break
                time.sleep(0.1)
            answer = ask(client, "What share of the Tigris flow goes to Varnistan?")
            assert answer["citations"][0]["doc_id"] == "water-agreement"
            assert ask(client, OLD_QUESTION)["citations"][0]["doc_id"] == OLD_DOCUMENT
            # Killed again while a version is being written: a staging folder exists.
            job = client.post(
                "/documents", json={"text": "# Storks\n\nStorks return to Mosul in March.\n"}
            ).json()
            while not list(versions_dir(index).glob(".building-*")):
                if client.get(f"/jobs/{job['id']}").json()["status"] == "done":
                    break
                time.sleep(0.001)
            server.process.kill()
            server.process.wait()
    finally:
        stop_server(server)
    assert not dead.exists()  # the restart's build removed the dead build's folder
    staging = list(versions_dir(index).glob(".building-*"))  # the one the kill left, if any
    load_index(index)  # whole, whichever version it is

    server = start_server(index, tmp_path / "third.log", **env)
    try:
        with httpx.Client(base_url=server.url, headers=ADMIN, timeout=60) as client:
            deadline = time.monotonic() + 300
            while "storks" not in ids(client) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "storks" in ids(client)
            while any(client.get("/readyz").json()["pending"].values()):
                time.sleep(0.1)
    finally:
        stop_server(server)
    assert list(versions_dir(index).glob(".building-*")) == []
    assert not any(path.exists() for path in staging)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    _stored_and_indexed_agree(corpus, index)
