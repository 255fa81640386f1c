"""The documents the service answers from, and the loader that reads them."""

from corpus.documents import INTRODUCTION, SECTION_SEPARATOR, Document, Page, Section
from corpus.loading import (
    DEFAULT_CORPUS_DIR,
    CorpusContents,
    CorpusError,
    SkippedFile,
    corpus_hash,
    load_corpus,
    read_corpus,
)

__all__ = [
    "DEFAULT_CORPUS_DIR",
    "INTRODUCTION",
    "SECTION_SEPARATOR",
    "CorpusContents",
    "CorpusError",
    "Document",
    "Page",
    "Section",
    "SkippedFile",
    "corpus_hash",
    "load_corpus",
    "read_corpus",
]
