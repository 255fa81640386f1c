"""The documents the service answers from, and the loader that reads them."""

from corpus.documents import INTRODUCTION, SECTION_SEPARATOR, Document, Section
from corpus.loading import DEFAULT_CORPUS_DIR, CorpusError, corpus_hash, load_corpus

__all__ = [
    "DEFAULT_CORPUS_DIR",
    "INTRODUCTION",
    "SECTION_SEPARATOR",
    "CorpusError",
    "Document",
    "Section",
    "corpus_hash",
    "load_corpus",
]
