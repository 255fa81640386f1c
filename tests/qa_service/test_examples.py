"""Example questions come from the loaded documents' section titles, whatever the corpus."""

from __future__ import annotations

from typing import Any

from corpus import Document
from corpus.documents import parse_sections
from qa_service.examples import example_topics, examples_html, with_examples


def _document(doc_id: str, text: str) -> Document:
    return Document(
        id=doc_id,
        title=doc_id,
        kind="k",
        source=f"{doc_id}.md",
        text=text,
        sections=parse_sections(text),
    )


GUIDE = _document(
    "guide",
    "# Guide\n\nIntro.\n\n## 1. Install & run\n\nShort.\n\n## Configure\n\n"
    + "A much longer section about configuration. " * 5
    + "\n\n## Why use it?\n\n"
    + "A question as a heading. " * 9
    + "\n",
)
NOTES = _document("notes", "# Notes\n\n## Tides\n\nHigh water at noon, every day of the week.\n")


def test_topics_take_the_longest_sections_of_each_document_in_turn() -> None:
    assert example_topics([GUIDE, NOTES]) == ["Configure", "Tides", "Install & run"]


def test_no_documents_give_no_examples() -> None:
    schema: dict[str, Any] = {"components": {"schemas": {"AskRequest": {}}}}
    assert with_examples(schema, []) == {"components": {"schemas": {"AskRequest": {}}}}
    assert examples_html([]) == ""


def test_request_examples_and_the_demo_page_use_the_topics() -> None:
    schema: dict[str, Any] = {"components": {"schemas": {"AskRequest": {}, "SearchRequest": {}}}}
    with_examples(schema, [GUIDE])
    asked = schema["components"]["schemas"]["AskRequest"]["examples"]
    assert asked[0] == {"question": "What is said about Configure?"}
    assert {"query": "Install & run", "top_k": 5} in schema["components"]["schemas"][
        "SearchRequest"
    ]["examples"]
    assert "What is said about Install &amp; run?" in examples_html([GUIDE])
