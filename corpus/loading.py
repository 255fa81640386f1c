"""Reads a corpus folder (its documents, in any supported format, and an optional
`manifest.json`) into Documents; a file that cannot be read is skipped and reported."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from corpus.documents import Document, parse_sections, title_from_headings
from corpus.formats import SUPPORTED_SUFFIXES, ConversionError, Converted, converter_for
from indexer.analysis import DEFAULT_ANALYZER

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class SkippedFile:
    """A file of the corpus folder that was not indexed, and why."""

    name: str
    reason: str  # what is wrong and what to do about it

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class CorpusContents:
    documents: list[Document]
    skipped: list[SkippedFile] = field(default_factory=list)


def load_corpus(folder: Path = DEFAULT_CORPUS_DIR) -> list[Document]:
    """Every readable document in `folder`, sorted by file name (see `read_corpus`)."""
    return read_corpus(folder).documents


def read_corpus(folder: Path = DEFAULT_CORPUS_DIR) -> CorpusContents:
    """Every document in `folder`, sorted by file name, and the files that had to be skipped.

    Files named in the manifest take its id, title and kind; any other file is titled from
    its first heading (or its own metadata, or its file name) and gets an id from its name.
    A file of an unsupported type, or one its converter cannot read, is skipped with a reason.
    """
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist: create it or set RAG_CORPUS_DIR")
    entries = _read_manifest(folder)
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.name != MANIFEST and not _hidden(p)
    )
    missing = set(entries) - {p.name for p in files}
    if missing:
        raise CorpusError(
            f"{folder / MANIFEST} names {sorted(missing)}, which are not in the folder: "
            "restore the files or remove their entries"
        )
    contents = CorpusContents([])
    for path in files:
        try:
            converted = _convert(path)
        except ConversionError as error:
            contents.skipped.append(SkippedFile(path.name, str(error)))
            logger.warning("skipping %s: %s", path, error)
            continue
        contents.documents.append(file_document(path, converted, entries.get(path.name)))
    _check_unique_ids(contents.documents, folder)
    if not contents.documents:
        reasons = "".join(f"; {skipped}" for skipped in contents.skipped)
        raise CorpusError(
            f"corpus folder {folder} has no readable documents ({', '.join(SUPPORTED_SUFFIXES)})"
            + reasons
        )
    return contents


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _convert(path: Path) -> Converted:
    converter = converter_for(path)
    if converter is None:
        raise ConversionError(
            f"{path.suffix or 'a file without a suffix'} is not a supported type: convert it to "
            f"one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    converted = converter.convert(path)
    if not converted.text.strip():
        raise ConversionError("it has no text")
    return converted


def file_document(path: Path, converted: Converted, entry: ManifestEntry | None) -> Document:
    """The document of one converted file, as the corpus reads it (`entry`: its manifest's)."""
    text = converted.text
    title = title_from_headings(DEFAULT_ANALYZER.headings(text)) or converted.title or _title(path)
    return Document(
        id=entry.id if entry else slugify(path.stem),
        title=entry.title if entry else title,
        kind=entry.kind if entry else "document",
        source=entry.source if entry else path.name,
        text=text,
        sections=parse_sections(text),
        pages=converted.pages,
    )


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
