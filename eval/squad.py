"""SQuAD 2.0 JSON -> one corpus document + its gold eval items: how a public SQuAD article becomes
an eval corpus (`rag-eval import-squad`).

The article's paragraphs are joined into one Markdown document (a title heading, then the
paragraphs separated by blank lines). Every question becomes an `EvalItem`: an answerable one
gets its first gold answer (the other distinct answers are aliases) and, as evidence, the
sentence(s) of the document that hold the answer span, found with the indexer's own sentence
splitter; an unanswerable one (`is_impossible`) is an expected abstention whose evidence is the
sentence holding SQuAD's plausible (wrong) answer, the near miss. Questions stay with their
paragraph: even paragraphs go to dev, odd ones to test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from corpus import Document
from corpus.documents import parse_sections
from corpus.loading import MANIFEST, slugify
from eval.dataset import EvalItem, Evidence, QuestionType
from eval.errors import GoldDataError
from indexer.chunking import split_sentences

ATTRIBUTION = (
    "SQuAD 2.0 (Rajpurkar, Jia and Liang, Know What You Don't Know: Unanswerable Questions "
    "for SQuAD, ACL 2018), CC BY-SA 4.0"
)


class SquadAnswer(BaseModel, frozen=True):
    text: str
    answer_start: int


class SquadQuestion(BaseModel, frozen=True):
    id: str
    question: str
    answers: tuple[SquadAnswer, ...] = ()
    plausible_answers: tuple[SquadAnswer, ...] = ()
    is_impossible: bool = False


class SquadParagraph(BaseModel, frozen=True):
    context: str
    qas: tuple[SquadQuestion, ...]


class SquadArticle(BaseModel, frozen=True):
    title: str
    paragraphs: tuple[SquadParagraph, ...]


@dataclass(frozen=True)
class ConvertedArticle:
    """What one article becomes: a document file, its manifest entry and the gold items."""

    file_name: str
    manifest: dict[str, Any]  # the corpus folder's manifest.json
    text: str
    items: list[EvalItem]


def read_article(source: Path, article: int = 0) -> SquadArticle:
    """Article number `article` of a SQuAD 2.0 JSON file (`data[article]`)."""
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        return SquadArticle.model_validate(raw["data"][article])
    except FileNotFoundError as error:
        raise GoldDataError(
            f"no SQuAD file at {source}: pass the path of a SQuAD 2.0 JSON"
        ) from error
    except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValidationError) as error:
        raise GoldDataError(
            f"{source} has no SQuAD 2.0 article number {article} ({error}): pass a SQuAD 2.0 "
            "JSON file (data[].paragraphs[].qas[]) and an --article that exists"
        ) from error


def convert_article(article: SquadArticle, source_name: str) -> ConvertedArticle:
    """The document and gold items of one SQuAD article; `source_name` is recorded as provenance."""
    title = article.title.replace("_", " ")
    doc_id = slugify(title)
    text, offsets = _join(title, [paragraph.context for paragraph in article.paragraphs])
    document = Document(
        id=doc_id,
        title=title,
        kind="encyclopedia article",
        source=source_name,
        text=text,
        sections=parse_sections(text),
    )
    sentences = [(start, end) for _, start, end in split_sentences(document)]
    items: list[EvalItem] = []
    for number, (paragraph, offset) in enumerate(zip(article.paragraphs, offsets, strict=True)):
        split = "dev" if number % 2 == 0 else "test"
        for qa in paragraph.qas:
            items.append(_item(qa, split, document, sentences, offset))
    file_name = f"{doc_id}.md"
    manifest = {
        "documents": [
            {
                "id": doc_id,
                "file": file_name,
                "title": title,
                "kind": "encyclopedia article",
                "source": f"{source_name}: {ATTRIBUTION}",
            }
        ]
    }
    return ConvertedArticle(file_name=file_name, manifest=manifest, text=text, items=items)


def write_converted(converted: ConvertedArticle, documents_dir: Path, gold_path: Path) -> None:
    """Write the document and its manifest into `documents_dir`, the gold items to `gold_path`."""
    documents_dir.mkdir(parents=True, exist_ok=True)
    (documents_dir / converted.file_name).write_text(converted.text, encoding="utf-8")
    manifest = json.dumps(converted.manifest, indent=2, ensure_ascii=False) + "\n"
    (documents_dir / MANIFEST).write_text(manifest, encoding="utf-8")
    gold_path.parent.mkdir(parents=True, exist_ok=True)
    gold_path.write_text(gold_lines(converted.items), encoding="utf-8")


def gold_lines(items: Sequence[EvalItem]) -> str:
    """Items as the JSONL of a gold file, one compact object per line."""
    return "".join(
        json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n" for item in items
    )


def _join(title: str, paragraphs: Sequence[str]) -> tuple[str, list[int]]:
    """The document text (title heading, blank-line separated paragraphs) and each paragraph's
    offset in it."""
    text = f"# {title}\n"
    offsets: list[int] = []
    for paragraph in paragraphs:
        text += "\n"
        offsets.append(len(text))
        text += paragraph + "\n"
    return text, offsets


def _item(
    qa: SquadQuestion,
    split: str,
    document: Document,
    sentences: Sequence[tuple[int, int]],
    offset: int,
) -> EvalItem:
    question = " ".join(qa.question.split())
    if qa.is_impossible:
        near = qa.plausible_answers[:1]
        return EvalItem.model_validate(
            {
                "id": qa.id,
                "split": split,
                "type": "unanswerable",
                "question": question,
                "answerable": False,
                "evidence": [_evidence(document, sentences, offset, a) for a in near],
                "notes": "SQuAD 2.0 unanswerable (adversarial near miss)"
                + (f"; plausible but wrong answer: {near[0].text!r}" if near else ""),
            }
        )
    if not qa.answers:
        raise GoldDataError(f"SQuAD question {qa.id} is answerable but has no answer")
    forms = list(dict.fromkeys(answer.text for answer in qa.answers))
    return EvalItem.model_validate(
        {
            "id": qa.id,
            "split": split,
            "type": _question_type(question),
            "question": question,
            "answerable": True,
            "answer": forms[0],
            "aliases": forms[1:],
            "evidence": [_evidence(document, sentences, offset, qa.answers[0])],
        }
    )


def _evidence(
    document: Document, sentences: Sequence[tuple[int, int]], offset: int, answer: SquadAnswer
) -> Evidence:
    """The sentence(s) holding the answer span, as one contiguous quote."""
    start = offset + answer.answer_start
    end = start + len(answer.text)
    if document.text[start:end] != answer.text:
        raise GoldDataError(f"SQuAD answer {answer.text!r} is not at its answer_start")
    holding = [(s, e) for s, e in sentences if s < end and start < e]
    quote_start, quote_end = holding[0][0], holding[-1][1]
    return Evidence(
        doc_id=document.id,
        quote=document.text[quote_start:quote_end],
        section=document.section_at(quote_start).path,
    )


_TYPES: tuple[tuple[re.Pattern[str], QuestionType], ...] = (
    (re.compile(r"\b(when|what year|which year|what decade|what century)\b"), "date"),
    (re.compile(r"\bhow (many|much|long|large|big)\b"), "number"),
    (re.compile(r"\b(who|whom|whose)\b"), "entity"),
)


def _question_type(question: str) -> QuestionType:
    lowered = question.lower()
    return next((kind for pattern, kind in _TYPES if pattern.search(lowered)), "factoid")
