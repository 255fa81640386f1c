"""The write path: a document in or out, stored as the corpus's original file, then indexed.

`IndexWriter` is the role the service's document endpoints call; `FolderIndexWriter` keeps the
originals in the corpus folder and indexes them with an incremental build (a new version,
switched in atomically). Another storage (PostgreSQL) implements the same three calls.

The folder is the truth: a file is written to a hidden temporary name, checked by its format's
converter, then renamed in, so the folder only ever holds whole, readable documents; the index
follows it with `apply`, and a change a crash left unindexed is found as the folder's
difference from the index (the service's watcher indexes it).

`read_upload`, `check_exists` and `BuildEncoders` are the checks and encoders every writer
shares (`indexer.syncing.PostgresIndexWriter` uses them too).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from corpus import Document
from corpus.formats import SUPPORTED_SUFFIXES, ConversionError, Converted, converter_for
from corpus.loading import MANIFEST, ManifestEntry, file_document, slugify
from indexer.artifact import CorpusIndex
from indexer.building import BuildReport, build_index
from indexer.embedding import Embedder, open_embedder
from indexer.settings import IndexSettings

logger = logging.getLogger(__name__)

__all__ = [
    "BuildEncoders",
    "Change",
    "DocumentExistsError",
    "DocumentMissingError",
    "DocumentRejectedError",
    "DocumentWriteError",
    "FolderIndexWriter",
    "IndexReport",
    "IndexWriter",
    "Upload",
    "check_deletable",
    "check_exists",
    "check_unique",
    "read_upload",
    "text_upload",
]

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_CHARS = 100
TEMPORARY_MAX_AGE = 3600  # seconds after which a write's temporary file is a dead one's


class DocumentWriteError(Exception):
    """A document change that cannot be made; nothing was changed. The message says why."""


class DocumentRejectedError(DocumentWriteError):
    """The upload is not a readable document of a supported type, or its id is not valid."""


class DocumentExistsError(DocumentWriteError):
    """A new document would take an id that a document already has."""


class DocumentMissingError(DocumentWriteError):
    """No document has the id to replace or delete."""


@dataclass(frozen=True)
class Upload:
    """One document to store: the file's bytes and name (its suffix names the format)."""

    filename: str
    content: bytes
    doc_id: str | None = None  # default: from the file name
    title: str | None = None  # default: the document's first heading, metadata or file name


@dataclass(frozen=True)
class Change:
    kind: Literal["upsert", "delete"]
    doc_id: str


class IndexWriter(Protocol):
    """What the document endpoints call: store or remove originals, then index the changes."""

    def upsert_documents(self, uploads: Sequence[Upload], replace: bool) -> list[Change]:
        """Store new documents (`replace=False`) or new versions of them; raise a
        `DocumentWriteError` and change nothing when any of them cannot be stored."""
        ...

    def delete_document(self, doc_id: str) -> Change: ...

    def apply(self, changes: Sequence[Change]) -> IndexReport:
        """Make the served index hold the stored documents (one atomic switch, or one
        transaction per document)."""
        ...


class IndexReport(Protocol):
    """What a job reports of `apply`: the version built ("" when there are no versions)."""

    @property
    def version(self) -> str: ...

    @property
    def embedded_texts(self) -> int: ...


class BuildEncoders:
    """The encoders a build embeds with: `loaded` (the service's), and the build encoder,
    opened once and kept, when it is not among them."""

    def __init__(
        self, settings: IndexSettings, loaded: Callable[[], Iterable[Embedder]] = tuple
    ) -> None:
        self.settings = settings
        self._loaded = loaded
        self._opened: Embedder | None = None

    def all(self) -> list[Embedder]:
        embedders = list(self._loaded())
        if self.settings.build_encoder not in {e.identity.encoder for e in embedders}:
            if self._opened is None:
                self._opened = open_embedder(self.settings, self.settings.build_encoder, "build")
            embedders.append(self._opened)
        return embedders

    def build(self) -> Embedder:
        """The encoder that embeds documents."""
        wanted = self.settings.build_encoder
        return next(e for e in self.all() if e.identity.encoder == wanted)


class FolderIndexWriter:
    """Originals in the corpus folder; the index built incrementally beside it.

    `served` returns the index the service has loaded (its parts are reused without reading
    them again) and `embedders` the encoders it already holds.
    """

    def __init__(
        self,
        settings: IndexSettings,
        embedders: Callable[[], Iterable[Embedder]] = tuple,
        served: Callable[[], CorpusIndex | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.folder = settings.corpus_dir
        self._encoders = BuildEncoders(settings, embedders)
        self._served = served
        self._lock = threading.Lock()  # one change of the folder at a time

    def upsert_documents(self, uploads: Sequence[Upload], replace: bool) -> list[Change]:
        """Check every upload first, then store them all: a bad one changes nothing."""
        staged: list[tuple[str, str, Path, Upload]] = []  # id, target name, temporary, upload
        try:
            for upload in uploads:
                doc_id, suffix = _checked_name(upload)
                temporary = self.folder / f".upload-{uuid.uuid4().hex}{suffix}"
                staged.append((doc_id, f"{doc_id}{suffix}", temporary, upload))
                _write_durably(temporary, upload.content)
                _check_readable(temporary, upload.filename)
            ids = [doc_id for doc_id, *_ in staged]
            check_unique(ids)
            with self._lock:
                existing = {doc_id: self._files_of(doc_id) for doc_id in ids}
                for doc_id in ids:
                    check_exists(doc_id, bool(existing[doc_id]), replace)
                for doc_id, target, temporary, upload in staged:
                    self._store(existing[doc_id], target, temporary, upload)
        finally:
            for *_, temporary, _ in staged:
                temporary.unlink(missing_ok=True)
        return [Change("upsert", doc_id) for doc_id, *_ in staged]

    def _store(self, existing: list[str], target: str, temporary: Path, upload: Upload) -> None:
        # Old files leave first: two files with one id would make the folder unreadable.
        self._set_entry(existing, None)
        for name in existing:
            if name != target:
                (self.folder / name).unlink(missing_ok=True)
        os.replace(temporary, self.folder / target)
        if upload.title is not None:
            self._set_entry([target], _entry(Path(target).stem, target, upload))
        logger.info("stored %s as %s", upload.filename, target)

    def delete_document(self, doc_id: str) -> Change:
        with self._lock:
            existing = self._files_of(doc_id)
            check_deletable(doc_id, bool(existing), bool(existing) and self._others_than(existing))
            self._set_entry(existing, None)  # the manifest must never name a missing file
            for name in existing:
                (self.folder / name).unlink(missing_ok=True)
        return Change("delete", doc_id)

    def apply(self, changes: Sequence[Change]) -> BuildReport:
        """Build the folder's documents (not only `changes`: the folder is the truth)."""
        self.remove_dead_temporaries()
        return build_index(self.settings, embedders=self._encoders.all(), served=self._served())

    def remove_dead_temporaries(self) -> list[Path]:
        """Remove the temporary files of writes a killed process left (an hour old: a write
        in progress, in this or another worker, is younger)."""
        cutoff = time.time() - TEMPORARY_MAX_AGE
        dead = [
            path
            for pattern in (".upload-*", f".{MANIFEST}.*")
            for path in self.folder.glob(pattern)
            if path.stat().st_mtime < cutoff
        ]
        for path in dead:
            logger.warning("removing %s, left by a write that did not finish", path)
            path.unlink(missing_ok=True)
        return dead

    def _files_of(self, doc_id: str) -> list[str]:
        """The folder's files whose document has this id (normally one)."""
        entries = self._entries()
        named = {entry["file"] for entry in entries if entry.get("id") == doc_id}
        listed = {entry["file"] for entry in entries}
        by_name = {
            p.name
            for p in self.folder.iterdir()
            if p.is_file()
            and not p.name.startswith((".", "~$"))
            and p.name != MANIFEST
            and p.name not in listed
            and slugify(p.stem) == doc_id
        }
        return sorted((named & _names(self.folder)) | by_name)

    def _others_than(self, names: list[str]) -> bool:
        return any(
            p.is_file()
            and not p.name.startswith((".", "~$"))
            and p.name != MANIFEST
            and p.name not in names
            for p in self.folder.iterdir()
        )

    def _entries(self) -> list[dict[str, str]]:
        path = self.folder / MANIFEST
        if not path.exists():
            return []
        entries: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))["documents"]
        return entries

    def _set_entry(self, files: list[str], entry: dict[str, str] | None) -> None:
        """Drop the manifest entries of `files`, then add `entry`; rewritten by rename."""
        entries = self._entries()
        kept = [e for e in entries if e.get("file") not in files]
        if entry is not None:
            kept.append(entry)
        if kept == entries:
            return
        body = json.dumps({"documents": kept}, indent=2, ensure_ascii=False) + "\n"
        temporary = self.folder / f".{MANIFEST}.{uuid.uuid4().hex}"
        _write_durably(temporary, body.encode("utf-8"))
        os.replace(temporary, self.folder / MANIFEST)


def read_upload(upload: Upload) -> Document:
    """The document an upload holds, read as the corpus folder would read its file (with the
    upload's title, if it has one); `DocumentRejectedError` when it cannot be."""
    doc_id, suffix = _checked_name(upload)
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / f"{doc_id}{suffix}"
        _write_durably(path, upload.content)
        converted = _check_readable(path, upload.filename)
        entry = _entry(doc_id, path.name, upload) if upload.title is not None else None
        return file_document(path, converted, ManifestEntry(**entry) if entry else None)


def check_unique(ids: Sequence[str]) -> None:
    if len(set(ids)) < len(ids):
        raise DocumentRejectedError(
            f"two uploads get the same id ({', '.join(sorted(ids))}): send one of each"
        )


def check_exists(doc_id: str, exists: bool, replace: bool) -> None:
    """A new document's id must be free (POST); a replaced one's must be taken (PUT)."""
    if exists and not replace:
        raise DocumentExistsError(
            f"a document with the id {doc_id!r} exists: replace it with "
            f"PUT /documents/{doc_id}, or send another id"
        )
    if not exists and replace:
        raise DocumentMissingError(
            f"no document has the id {doc_id!r}: add it with POST /documents"
        )


def check_deletable(doc_id: str, exists: bool, others: bool) -> None:
    """A deleted document must exist, and must not be the last one (`others`: there are more)."""
    if not exists:
        raise DocumentMissingError(
            f"no document has the id {doc_id!r}: GET /documents lists the ids"
        )
    if not others:
        raise DocumentExistsError(
            f"{doc_id!r} is the corpus's last document, and a corpus needs one: add another "
            "document first"
        )


def text_upload(text: str, doc_id: str | None, title: str | None) -> Upload:
    """A document sent as text: stored as Markdown, its id from its title or first line."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    name = doc_id or slugify(title or first_line.lstrip("#"))[:MAX_ID_CHARS].strip("-")
    return Upload(f"{name}.md", text.encode("utf-8"), doc_id or name, title)


def _entry(doc_id: str, file: str, upload: Upload) -> dict[str, str]:
    return {
        "id": doc_id,
        "file": file,
        "title": upload.title or doc_id,
        "kind": "document",
        "source": upload.filename,
    }


def _checked_name(upload: Upload) -> tuple[str, str]:
    """The upload's document id and file suffix, once both are known to be valid."""
    if converter_for(Path(upload.filename)) is None:
        raise DocumentRejectedError(
            f"{upload.filename!r} is not a supported type: send one of "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )
    doc_id = upload.doc_id or slugify(Path(upload.filename).stem)
    _check_id(doc_id)
    return doc_id, Path(upload.filename).suffix.lower()


def _check_id(doc_id: str) -> None:
    if len(doc_id) > MAX_ID_CHARS or not _ID.fullmatch(doc_id):
        raise DocumentRejectedError(
            f"{doc_id[:MAX_ID_CHARS]!r} is not a valid document id: use lower-case letters, "
            f"digits and single hyphens, at most {MAX_ID_CHARS} characters (for example "
            f"{slugify(doc_id)[:MAX_ID_CHARS]!r})"
        )


def _check_readable(path: Path, filename: str) -> Converted:
    converter = converter_for(path)
    assert converter is not None  # the suffix was checked first
    try:
        converted = converter.convert(path)
    except ConversionError as error:
        raise DocumentRejectedError(f"{filename!r} cannot be read: {error}") from error
    if not converted.text.strip():
        raise DocumentRejectedError(f"{filename!r} has no text: send a document with text")
    return converted


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def _write_durably(path: Path, content: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
