"""Chunks and sentences of the real corpus: exact offsets, one section each, in the model window."""

from __future__ import annotations

import itertools

import pytest

from corpus import load_corpus
from corpus.documents import Document, parse_sections
from indexer.building import chunking_params
from indexer.chunking import ChunkingParams, chunk_document, count_tokens, embedded_text
from qa_service.pipeline import QAService


def test_every_chunk_and_sentence_is_its_document_text_at_its_offsets(service: QAService) -> None:
    index = service.index
    for chunk in index.chunks:
        assert index.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
    for sentence in index.sentences:
        original = index.documents[sentence.doc_id].text[sentence.start : sentence.end]
        assert index.analyzer.display(original) == sentence.text
    assert len(index.chunks) > 100 and len(index.sentences) > len(index.chunks)


def test_no_chunk_crosses_a_section(service: QAService) -> None:
    for chunk in service.index.chunks:
        document = service.index.documents[chunk.doc_id]
        section = document.section_at(chunk.start)
        assert chunk.end <= section.end and section.path == chunk.section, chunk.id


def test_every_embedded_text_fits_the_model_window(service: QAService) -> None:
    window = service.embedder.identity.max_seq_length
    params = chunking_params(service.settings)
    for chunk in service.index.chunks:
        text = embedded_text(
            service.index.documents[chunk.doc_id], chunk.section, chunk.text, params
        )
        assert service.embedder.token_count(text) <= window, chunk.id
    for sentence in service.index.sentences:
        assert service.embedder.token_count(sentence.text) <= window


def test_chunks_respect_the_token_size(service: QAService) -> None:
    size = service.settings.chunk_tokens
    assert all(count_tokens(c.text) == c.tokens <= size for c in service.index.chunks)


def test_chunk_sentence_rows_cover_the_chunk(service: QAService) -> None:
    for chunk in service.index.chunks:
        first, last = chunk.sentence_rows
        rows = service.index.sentences[first:last]
        assert rows, chunk.id
        assert rows[0].start <= chunk.start < rows[0].end or rows[0].start >= chunk.start
        assert all(s.start < chunk.end and s.end > chunk.start for s in rows), chunk.id


def test_chunks_of_one_paragraph_overlap_by_whole_sentences() -> None:
    text = "= T =\n" + " ".join(f"Sentence number {i} is here." for i in range(60)) + "\n"
    document = Document(
        id="d", title="T", kind="k", source="d.txt", text=text, sections=parse_sections(text)
    )
    chunks, sentences = chunk_document(document, ChunkingParams(64, 16, False), lambda _: True)
    assert len(chunks) > 3
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end  # shared text
        assert text[after.start : before.end].strip().endswith(".")  # made of whole sentences
        assert any(s.start == after.start for s in sentences)


def test_a_chunk_too_long_for_the_model_is_split_until_it_fits() -> None:
    text = "= T =\n" + " ".join(f"Zyxwv{i}qu." for i in range(200)) + "\n"
    document = Document(
        id="d", title="T", kind="k", source="d.txt", text=text, sections=parse_sections(text)
    )
    limit = 120  # characters, standing in for the model's word-piece window

    def fits(embedded: str) -> bool:
        return len(embedded) <= limit

    params = ChunkingParams(256, 32, True)
    chunks, _ = chunk_document(document, params, fits)
    assert len(chunks) > 1
    assert all(fits(embedded_text(document, c.section, c.text, params)) for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)


@pytest.mark.parametrize("size", [64, 256])
def test_chunk_ids_are_the_same_when_chunking_again(size: int) -> None:
    document = load_corpus()[0]
    params = ChunkingParams(size, size // 4, True)
    first, _ = chunk_document(document, params, lambda _: True)
    second, _ = chunk_document(document, params, lambda _: True)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


def test_sentences_break_at_list_items_and_not_inside_abbreviations() -> None:
    text = "= T =\nThe U.S. Army left in 2011. It came back.\n- A list item\n- Another\n"
    document = Document(
        id="d", title="T", kind="k", source="d.txt", text=text, sections=parse_sections(text)
    )
    _, sentences = chunk_document(document, ChunkingParams(64, 8, False), lambda _: True)
    assert [s.text for s in sentences] == [
        "The U.S. Army left in 2011.",
        "It came back.",
        "A list item",
        "Another",
    ]
    assert [text[s.start : s.end] for s in sentences][2:] == ["- A list item", "- Another"]
