"""Reads a corpus folder (its `.txt`/`.md` files and optional `manifest.json`) into Documents."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

from pydantic import BaseModel, ValidationError

from corpus.documents import Document, find_headings, parse_sections, title_from_headings

logger = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".txt", ".md")
MANIFEST = "manifest.json"
DEFAULT_CORPUS_DIR = Path(__file__).parent / "documents"


class CorpusError(Exception):
    """The corpus folder cannot be read; the message says what to fix."""


class ManifestEntry(BaseModel, frozen=True):
    id: str
    file: str
    title: str
    kind: str
    source: str  # the original file this document was cleaned from


def load_corpus(folder: Path = DEFAULT_CORPUS_DIR) -> list[Document]:
    """Every document in `folder`, sorted by file name.

    Files named in the manifest take its id, title and kind; any other `.txt`/`.md` file is
    titled from its first heading (or its file name) and gets an id from its file name.
    """
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist: create it or set RAG_CORPUS_DIR")
    entries = _read_manifest(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix in DOCUMENT_SUFFIXES and p.is_file())
    missing = set(entries) - {p.name for p in files}
    if missing:
        raise CorpusError(
            f"{folder / MANIFEST} names {sorted(missing)}, which are not in the folder: "
            "restore the files or remove their entries"
        )
    documents: list[Document] = []
    for path in files:
        text = _read_text(path)
        if not text.strip():
            logger.warning("skipping %s: it has no text", path)
            continue
        entry = entries.get(path.name)
        headings = find_headings(text)
        documents.append(
            Document(
                id=entry.id if entry else slugify(path.stem),
                title=entry.title if entry else title_from_headings(headings) or _title(path),
                kind=entry.kind if entry else "document",
                source=entry.source if entry else path.name,
                text=text,
                sections=parse_sections(text),
            )
        )
    _check_unique_ids(documents, folder)
    if not documents:
        raise CorpusError(f"corpus folder {folder} has no .txt or .md documents")
    return documents


def corpus_hash(documents: list[Document]) -> str:
    """A hash of everything about the documents that the index depends on."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.id):
        for part in (document.id, document.title, document.kind, document.source, document.text):
            digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def _title(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize()


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path} is not UTF-8 text ({error}): convert it to UTF-8") from error
    except OSError as error:
        raise CorpusError(
            f"{path} cannot be read ({error.strerror}): fix its permissions or remove it"
        ) from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_manifest(folder: Path) -> dict[str, ManifestEntry]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = [ManifestEntry.model_validate(item) for item in raw["documents"]]
    except OSError as error:  # unreadable, or a directory
        raise CorpusError(
            f"{path} cannot be read ({error.strerror}): fix it or remove it"
        ) from error
    except (json.JSONDecodeError, KeyError, TypeError, ValidationError) as error:
        raise CorpusError(
            f"{path} is not a valid corpus manifest ({error}); it must be "
            '{"documents": [{"id", "file", "title", "kind", "source"}, ...]}'
        ) from error
    return {entry.file: entry for entry in entries}


def _check_unique_ids(documents: list[Document], folder: Path) -> None:
    seen: dict[str, str] = {}
    for document in documents:
        if document.id in seen:
            raise CorpusError(
                f"{document.source} and {seen[document.id]} in {folder} both get the id "
                f"{document.id!r}: rename one of them"
            )
        seen[document.id] = document.source
