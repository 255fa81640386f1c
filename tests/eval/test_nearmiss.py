"""The synthetic near misses of the gate's fit: each kind made the same way on any text, and
the masked view that hides a question's evidence from the gate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eval.nearmiss import MaskedView, Pool, flipped, masked_rows, swapped
from indexer.chunking import Sentence

EVIDENCE = "In 1990, Iraq invaded Kuwait, its smallest neighbour, after accusing it of theft."
POOL = Pool.from_texts(
    [
        "The Algiers Agreement of 1975 fixed the border with Iran at 1,458 kilometers.",
        "In 1990, Iraq invaded Kuwait. In 1975, Saddam Hussein met Jacques Chirac in Paris.",
    ]
)


def test_the_pool_holds_each_kind_of_the_texts() -> None:
    assert POOL.years == ("1975", "1990")
    assert "1,458" in POOL.numbers and "1975" not in POOL.numbers
    assert {"Algiers Agreement", "Iran", "Kuwait", "Saddam Hussein", "Jacques Chirac"} <= set(
        POOL.names
    )


def test_a_year_is_swapped_for_one_the_evidence_does_not_hold() -> None:
    assert swapped("What did Iraq invade in 1990?", EVIDENCE, POOL) == (
        "What did Iraq invade in 1975?"
    )


def test_without_a_figure_the_longest_name_is_swapped() -> None:
    question = "Whom did Saddam Hussein meet in Paris?"
    variant = swapped(question, "Saddam Hussein met Jacques Chirac in Paris.", POOL)
    assert variant is not None and variant != question
    assert "Saddam Hussein" not in variant and variant.endswith("meet in Paris?")
    # The same question always gives the same variant.
    assert swapped(question, "Saddam Hussein met Jacques Chirac in Paris.", POOL) == variant


def test_nothing_to_swap_gives_no_variant() -> None:
    assert swapped("what is the border made of?", EVIDENCE, POOL) is None
    assert swapped("What did Iraq invade in 1990?", EVIDENCE, Pool((), (), ())) is None


def test_a_qualifier_is_flipped_unless_the_evidence_holds_the_opposite() -> None:
    assert flipped("Which is Iraq's smallest neighbour?", EVIDENCE) == (
        "Which is Iraq's largest neighbour?"
    )
    # The evidence says "smallest": flipping "largest" would ask what it answers; a negation
    # is added instead.
    assert flipped("Which is Iraq's largest neighbour?", EVIDENCE) == (
        "Which is not Iraq's largest neighbour?"
    )


def test_a_negation_is_added_after_the_first_auxiliary_once() -> None:
    assert flipped("When did Iraq invade Kuwait?", EVIDENCE) == "When did not Iraq invade Kuwait?"
    assert flipped("Why did Iraq not invade Iran?", EVIDENCE) is None
    assert flipped("Iraq invaded whom?", EVIDENCE) is None


def _sentence(row: int, start: int, text: str) -> Sentence:
    return Sentence(
        row=row,
        doc_id="doc",
        section="s",
        start=start,
        end=start + len(text),
        text=text,
        terms=tuple(text.lower().split()),
        tokens=len(text.split()),
    )


SENTENCES = [
    _sentence(0, 0, "Iraq borders Kuwait."),
    _sentence(1, 21, "It invaded Kuwait in 1990."),
    _sentence(2, 48, "The war ended in 1991."),
    _sentence(3, 71, "The year 1990 saw the invasion."),
]


@dataclass(frozen=True)
class _Chunk:
    sentence_rows: tuple[int, int]


@dataclass(frozen=True)
class _Hit:
    chunk: _Chunk


def test_the_evidence_and_every_sentence_with_the_answer_are_masked() -> None:
    hits = [_Hit(_Chunk((0, 3)))]
    masked = masked_rows(hits, SENTENCES, {"doc": [(21, 47)]}, ["1990"])  # type: ignore[arg-type]
    assert masked == {1, 3}  # the evidence, and the neighbour that repeats the answer
    other_document = masked_rows(hits, SENTENCES, {"other": [(21, 47)]}, [""])  # type: ignore[arg-type]
    assert other_document == frozenset()


@dataclass(frozen=True)
class _View:
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    documents: dict[str, object]
    bm25: object


def test_a_masked_sentence_says_nothing() -> None:
    vectors = np.ones((4, 3), dtype=np.float32)
    view = MaskedView(_View(SENTENCES, vectors, {}, object()), frozenset({1}))  # type: ignore[arg-type]
    assert view.sentences[1].text == "" and view.sentences[1].terms == ()
    assert view.sentences[1].start == SENTENCES[1].start  # still where it was
    assert view.sentences[2] == SENTENCES[2] and len(view.sentences) == 4
    found = view.sentence_vectors[[0, 1, 2]]
    assert found[1].tolist() == [0.0, 0.0, 0.0] and found[0].tolist() == [1.0, 1.0, 1.0]
    assert vectors[1].tolist() == [1.0, 1.0, 1.0]  # the index's own vectors are untouched
