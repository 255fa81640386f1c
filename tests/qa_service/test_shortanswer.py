"""Short answers: the words of a cited sentence that answer a fact question, offsets exact."""

from __future__ import annotations

import pytest

from eval.dataset import load_eval_set
from indexer.analysis import asked_for
from qa_service.answering import Source, short_answer
from qa_service.answering.shortanswer import CACHED_SENTENCES, _sentence
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest

BORDER = (
    "The border that currently separates Iraq and Iran as independent states measures 1,458 "
    "kilometers and was approved by the Algiers Agreements signed in 1975."
)
FIRES = (
    "When fires broke out in Latakia this summer, Baghdad acted with rare speed, dispatching "
    "full firefighting teams through the Iraqi Ministry of Interior."
)
OFFSET = 1000  # where the sentence starts in its document
QUESTIONS = [item.question for item in load_eval_set().split("dev") if item.answerable][:60]


def _cited(text: str) -> list[tuple[Source, str]]:
    return [(Source("doc", OFFSET, OFFSET + len(text), "doc:chunk"), text)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How long is the border between Iraq and Iran?", "1,458 kilometers"),
        ("When was the border between Iraq and Iran approved?", "1975"),
        ("Which agreements approved the border between Iraq and Iran?", "Algiers Agreements"),
        ("Which Iraqi ministry sent firefighters to Latakia?", "Iraqi Ministry of Interior"),
    ],
)
def test_the_span_that_answers_is_found(question: str, expected: str) -> None:
    text = BORDER if "border" in question else FIRES
    span = short_answer(question, _cited(text))
    assert span is not None and span.text == expected
    assert text[span.start - OFFSET : span.end - OFFSET] == span.text and span.doc_id == "doc"


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        (
            "Since when has Fuad Hussein been foreign minister?",
            "The Iraqi Minister of Foreign Affairs is Fuad Hussein, since June 2020.",
            "June 2020",  # not "June 20": a day is a whole number
        ),
        (
            "When did Jordan and Iraq reopen their only border crossing?",
            "In August 2017, Jordan and Iraq announced the reopening of their only border post "
            "closed since 2014.",
            "August 2017",  # a month and a year say more than a bare year
        ),
        (
            "How big is the joint industrial zone?",
            "The joint industrial zone covers 24 square kilometers.",
            "24 square kilometers",
        ),
        (
            "How many Iraqi fighters were sent to the shrine?",
            "Iraq sent about 300 fighters to the shrine.",
            "about 300 fighters",
        ),
        (
            "How much did the trade reach?",
            "Trade reached more than 140 million dollars.",
            "more than 140 million dollars",
        ),
        (
            "The traveling salesman problem is an example of what type of problem?",
            "The traveling salesman problem is an example of a function problem.",
            "function",
        ),
    ],
)
def test_dates_whole_and_quantities_with_their_qualifiers(
    question: str, text: str, expected: str
) -> None:
    span = short_answer(question, _cited(text))
    assert span is not None and span.text == expected


def test_the_first_word_of_a_sentence_is_not_a_name() -> None:
    # "However" is capitalised only because it opens the sentence.
    text = "However, the running time may, in general, depend on the instance."
    span = short_answer(
        "What is one variable on which the running time may be contingent?", _cited(text)
    )
    assert span is None or span.text != "However"
    assert short_answer("Who decided?", _cited("Thus the matter was settled.")) is None


def test_a_date_answers_no_who_nor_where() -> None:
    # "January 2016" is capitalised like a name, but it names no one and no place.
    text = "The kingdom appointed its first ambassador there in January 2016."
    assert short_answer("Who is the ambassador in Washington?", _cited(text)) is None
    assert short_answer("Where is the ambassador?", _cited(text)) is None
    named = "The kingdom appointed Thamer Sabhan as its ambassador in January 2016."
    span = short_answer("Who was appointed ambassador?", _cited(named))
    assert span is not None and span.text == "Thamer Sabhan"


def test_questions_that_want_more_than_a_phrase_get_none() -> None:
    assert (
        short_answer("Why did Iraq and Iran sign the Algiers Agreements?", _cited(BORDER)) is None
    )
    assert asked_for("What is the Arab League?") is None  # a definition: the sentence answers
    assert asked_for("How did the war end?") is None


def test_no_span_of_the_kind_asked_for_means_no_short_answer() -> None:
    assert short_answer("How many firefighters did Baghdad send to Latakia?", _cited(FIRES)) is None
    assert short_answer("When did the fires in Latakia break out?", _cited(FIRES)) is None


def test_kinds_of_answer() -> None:
    assert asked_for("Who is Iraq's foreign minister?") == "name"
    assert asked_for("Where was the agreement signed?") == "place"
    assert asked_for("How many soldiers died?") == "number"
    assert asked_for("In which city did they meet?") == "thing"


def test_short_answers_point_into_a_cited_sentence(service: QAService) -> None:
    given = 0
    for question in QUESTIONS:
        response = service.ask(AskRequest(question=question))
        short = response.short_answer
        if short is None:
            continue
        given += 1
        assert service.index.documents[short.doc_id].text[short.start : short.end] == short.text
        assert any(
            c.doc_id == short.doc_id and c.start <= short.start < short.end <= c.end
            for c in response.citations
        )
    assert given >= len(QUESTIONS) // 2  # most fact questions get one


def test_a_sentence_read_for_one_question_answers_the_next_as_if_read_afresh() -> None:
    """The reading kept per sentence holds only what does not depend on the question: a thing
    question's runs of content words are its own, so two questions on one sentence differ."""
    questions = [
        "Which agreements approved the border between Iraq and Iran?",
        "What separates Iraq and Iran?",
        "What measures 1,458 kilometers?",
        "How long is the border between Iraq and Iran?",
        "When was the border between Iraq and Iran approved?",
    ]
    fresh = []
    for question in questions:
        _sentence.cache_clear()
        fresh.append(short_answer(question, _cited(BORDER)))
    warm = [short_answer(question, _cited(BORDER)) for question in questions]
    assert warm == fresh
    assert len({span.text for span in fresh if span}) == len(questions)


def test_the_sentences_kept_are_bounded() -> None:
    _sentence.cache_clear()
    for n in range(CACHED_SENTENCES + 10):
        short_answer("How long is the border?", _cited(f"The border is {n} kilometers long."))
    kept = _sentence.cache_info()
    assert kept.currsize == CACHED_SENTENCES == kept.maxsize


def test_a_kept_reading_is_placed_at_each_citation_s_own_offsets() -> None:
    """What is kept of a sentence is relative to its text: the same sentence in another document,
    or moved by a rebuilt index, gets its span at its own offsets."""
    question = "How long is the border between Iraq and Iran?"
    first = short_answer(question, _cited(BORDER))
    moved = short_answer(question, [(Source("other", 7, 7 + len(BORDER), "other:c"), BORDER)])
    assert first is not None and moved is not None
    assert (first.doc_id, first.start - OFFSET) == ("doc", moved.start - 7)
    assert moved.doc_id == "other" and BORDER[moved.start - 7 : moved.end - 7] == moved.text
