"""Loaded corpus -> example questions: what the demo page and the API reference suggest asking.

The examples come from the section titles of the documents that are loaded, so they fit any
corpus: the sections with the most text first, one per document in turn.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from itertools import chain, zip_longest
from typing import Any

from corpus import INTRODUCTION, SECTION_SEPARATOR, Document

EXAMPLES = 3
UNANSWERABLE_EXAMPLE = "How do I bake sourdough bread?"  # off every topic a corpus is about
_NUMBERING = re.compile(r"^(?:\d{1,3}|[IVXLC]{1,6})(?:\.\d{1,3})*\.?\s+")
_MAX_TOPIC_CHARS = 60


def example_topics(documents: Iterable[Document], count: int = EXAMPLES) -> list[str]:
    """Section titles worth asking about: the longest sections, taking documents in turn."""
    per_document = []
    for document in documents:
        sections = sorted(document.sections, key=lambda s: s.start - s.end)  # longest first
        topics = [_topic(s.path) for s in sections if s.path != INTRODUCTION]
        per_document.append([t for t in topics if t])
    seen: list[str] = []
    for topic in chain.from_iterable(zip_longest(*per_document)):
        if topic and topic.lower() not in {t.lower() for t in seen}:
            seen.append(topic)
    return seen[:count]


def example_questions(documents: Iterable[Document], count: int = EXAMPLES) -> list[str]:
    return [f"What is said about {topic}?" for topic in example_topics(documents, count)]


def with_examples(schema: dict[str, Any], documents: list[Document]) -> dict[str, Any]:
    """The OpenAPI schema with request examples taken from the loaded documents."""
    topics = example_topics(documents)
    if not topics:
        return schema
    components = schema.get("components", {}).get("schemas", {})
    questions = [f"What is said about {topic}?" for topic in topics]
    if "AskRequest" in components:
        components["AskRequest"]["examples"] = [{"question": q} for q in questions] + [
            {"question": questions[0], "top_k": 3}
        ]
    if "SearchRequest" in components:
        components["SearchRequest"]["examples"] = [{"query": t, "top_k": 5} for t in topics]
    return schema


def examples_html(documents: list[Document]) -> str:
    """The demo page's suggestions, as an HTML paragraph (empty when nothing is loaded)."""
    questions = example_questions(documents)
    if not questions:
        return ""
    asked = ", ".join(f"<code>{html.escape(q)}</code>" for q in questions)
    return (
        f'<p class="examples">Try {asked}, or something the documents do not cover, such as '
        f"<code>{html.escape(UNANSWERABLE_EXAMPLE)}</code></p>"
    )


def _topic(path: str) -> str | None:
    """The last heading of a section path, without its numbering, if it reads as a topic."""
    leaf = _NUMBERING.sub("", path.split(SECTION_SEPARATOR)[-1]).strip().rstrip(":")
    if len(leaf) > _MAX_TOPIC_CHARS:
        return None
    if not any(c.isalpha() for c in leaf) or leaf.endswith("?"):
        return None
    return leaf
