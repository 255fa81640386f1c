"""The SQuAD 2.0 converter: a small article by hand, and the committed corpus reproduced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import load_corpus
from eval.corpora import corpus_folder, gold_file
from eval.errors import GoldDataError
from eval.squad import ATTRIBUTION, SquadArticle, convert_article, read_article, write_converted

SQUAD_FILE = "squad2-computational-complexity-theory.json"
FIRST = "Turing machines were described in 1936. They model computation. Alan Turing wrote it."
SECOND = "P versus NP is open. Many believe P is not NP."
SLICE = {
    "title": "Tiny_article",
    "paragraphs": [
        {
            "context": FIRST,
            "qas": [
                {
                    "id": "a1",
                    "question": "When were Turing machines described? ",
                    "answers": [
                        {"text": "1936", "answer_start": FIRST.index("1936")},
                        {"text": "in 1936", "answer_start": FIRST.index("in 1936")},
                        {"text": "1936", "answer_start": FIRST.index("1936")},
                    ],
                    "is_impossible": False,
                },
                {
                    "id": "a2",
                    "question": "What do they model?",
                    "answers": [
                        # crosses a sentence end: the evidence is both sentences
                        {"text": "1936. They", "answer_start": FIRST.index("1936. They")}
                    ],
                    "is_impossible": False,
                },
            ],
        },
        {
            "context": SECOND,
            "qas": [
                {
                    "id": "u1",
                    "question": "Who proved P is not NP?",
                    "answers": [],
                    "plausible_answers": [{"text": "Many", "answer_start": SECOND.index("Many")}],
                    "is_impossible": True,
                }
            ],
        },
    ],
}


def test_an_article_becomes_one_document_and_gold_items() -> None:
    converted = convert_article(SquadArticle.model_validate(SLICE), "tiny.json")
    assert converted.text == f"# Tiny article\n\n{FIRST}\n\n{SECOND}\n"
    assert converted.file_name == "tiny-article.md"
    assert converted.manifest["documents"][0]["source"] == f"tiny.json: {ATTRIBUTION}"
    when, what, impossible = converted.items
    assert (when.type, when.answer, when.aliases, when.split) == (
        "date",
        "1936",
        ("in 1936",),
        "dev",
    )
    assert when.question == "When were Turing machines described?"
    assert [e.quote for e in when.evidence] == ["Turing machines were described in 1936."]
    assert (
        what.evidence[0].quote == "Turing machines were described in 1936. They model computation."
    )
    assert not impossible.answerable and impossible.split == "test"
    assert impossible.evidence[0].quote == "Many believe P is not NP."
    assert "'Many'" in impossible.notes


def test_written_files_load_as_a_corpus_whose_text_holds_every_quote(tmp_path: Path) -> None:
    converted = convert_article(SquadArticle.model_validate(SLICE), "tiny.json")
    write_converted(converted, tmp_path / "documents", tmp_path / "tiny.jsonl")
    (document,) = load_corpus(tmp_path / "documents")
    assert (document.id, document.title) == ("tiny-article", "Tiny article")
    lines = (tmp_path / "tiny.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        for evidence in json.loads(line)["evidence"]:
            assert evidence["quote"] in document.text


def test_a_file_that_is_not_squad_is_refused_with_what_to_pass(tmp_path: Path) -> None:
    path = tmp_path / "not-squad.json"
    path.write_text('{"data": []}', encoding="utf-8")
    with pytest.raises(GoldDataError, match=r"SQuAD 2\.0 JSON"):
        read_article(path)


def _shared_squad_file() -> Path | None:
    """The public dataset, in `shared/datasets` beside the clone or above it."""
    root = Path(__file__).resolve().parents[2]
    for folder in root.parents:
        candidate = folder / "shared" / "datasets" / SQUAD_FILE
        if candidate.is_file():
            return candidate
    return None


@pytest.mark.skipif(_shared_squad_file() is None, reason=f"{SQUAD_FILE} is not available here")
def test_the_committed_squad_corpus_is_what_the_converter_makes(tmp_path: Path) -> None:
    source = _shared_squad_file()
    assert source is not None
    write_converted(
        convert_article(read_article(source), SQUAD_FILE), tmp_path / "documents", tmp_path / "g"
    )
    committed = corpus_folder("squad-complexity")
    for made in (tmp_path / "documents").iterdir():
        assert made.read_bytes() == (committed / made.name).read_bytes(), made.name
    assert (tmp_path / "g").read_bytes() == gold_file("squad-complexity").read_bytes()
