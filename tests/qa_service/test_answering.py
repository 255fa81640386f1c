"""Answers to many real questions: valid citations, a marker per sentence, honest abstention."""

from __future__ import annotations

import re

import pytest

from eval.dataset import load_eval_set
from indexer.analysis import expected_answer_type, has_quantity, holds
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest, AskResponse

MARKER = re.compile(r"\[(\d+)\]")
QUESTIONS = [item.question for item in load_eval_set().split("dev") if not item.history][:60]
OFF_TOPIC = [
    "What is the capital of Brazil?",
    "How do I bake sourdough bread?",
    "Who wrote Hamlet?",  # "wrote" matches the corpus; "Hamlet" is one unknown name
    "What is the boiling point of water at sea level?",
    "Explain how photosynthesis works.",
    "What are Iraq's relations with Brazil?",  # on topic, but Brazil is nowhere in the sources
]


def check_citations(service: QAService, response: AskResponse) -> None:
    """The invariants every answer keeps, in one place."""
    markers = [int(m) for m in MARKER.findall(response.answer)]
    listed = [c.marker for c in response.citations]
    assert listed == list(range(1, len(listed) + 1))  # numbered 1..n, no gaps
    assert sorted(set(markers)) == listed  # every marker listed, every citation used
    first_use = list(dict.fromkeys(markers))
    assert first_use == sorted(first_use)  # numbered by first use
    for citation in response.citations:
        text = service.index.documents[citation.doc_id].text
        assert text[citation.start : citation.end] == citation.quote
        assert 0.0 <= citation.support <= 1.0
    if not response.abstained:
        sentences = re.split(r"(?<=\]\.)\s+|(?<=\])\s+(?=[A-Z\-])", response.answer)
        assert all(MARKER.search(s) for s in sentences), response.answer


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_keep_the_citation_invariants(service: QAService, question: str) -> None:
    response = service.ask(AskRequest(question=question))
    check_citations(service, response)
    assert response.passages and response.query == question


def test_most_questions_are_answered(service: QAService) -> None:
    answered = [not service.ask(AskRequest(question=q)).abstained for q in QUESTIONS]
    assert sum(answered) / len(answered) >= 0.9


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_questions_the_sources_do_not_cover_are_declined(service: QAService, question: str) -> None:
    response = service.ask(AskRequest(question=question))
    assert response.abstained
    assert response.citations == [] and "[" not in response.answer
    assert response.answer == "The sources do not answer this question."
    assert response.passages  # the closest passages are still shown


def test_a_how_many_question_whose_number_is_missing_is_declined(service: QAService) -> None:
    # The text says Iraq handed over wanted individuals, but never how many.
    response = service.ask(
        AskRequest(question="How many wanted people did Iraq hand over through Interpol?")
    )
    assert response.abstained


def test_the_answer_carries_its_evidence(service: QAService) -> None:
    response = service.ask(AskRequest(question="Who is Iraq's minister of foreign affairs?"))
    assert "Fuad Hussein" in response.answer
    assert any("Fuad Hussein" in c.quote for c in response.citations)


def test_a_sentence_leaning_on_the_one_before_brings_it_along(service: QAService) -> None:
    response = service.ask(
        AskRequest(question="How many memoranda were signed during Pezeshkian's 2024 visit?")
    )
    assert "14 memoranda" in response.answer
    assert "Pezeshkian" in response.answer  # the sentence that says which meeting


def test_the_answer_does_not_depend_on_top_k(service: QAService) -> None:
    one = service.ask(AskRequest(question="Why did Iraq invade Kuwait?", top_k=1))
    twenty = service.ask(AskRequest(question="Why did Iraq invade Kuwait?", top_k=20))
    assert one.answer == twenty.answer
    assert len(one.passages) == 1 and len(twenty.passages) == 20


def test_answer_types() -> None:
    assert expected_answer_type("How many soldiers died?") == "number"
    assert expected_answer_type("When did the war end?") == "date"
    assert expected_answer_type("In what year did it end?") == "date"
    assert expected_answer_type("What did Baghdad send when fires broke out?") is None
    assert expected_answer_type("Who leads Iraq?") is None
    assert has_quantity("it measures 1,458 kilometers")
    assert not has_quantity("On 29 January 2002, in 1990-1991")
    assert has_quantity("half of the production")


def test_when_asks_for_a_date_only_about_the_past() -> None:
    assert expected_answer_type("When did Iraq invade Kuwait?") == "date"
    assert expected_answer_type("When were the agreements signed?") == "date"
    # A present-tense "when" asks for a condition as often as for a date.
    assert expected_answer_type("When is the index considered stale?") is None
    assert expected_answer_type("When does a problem count as intractable?") is None
    assert holds("date", "the invasion of Kuwait by Iraq in 1990")


def test_a_year_like_number_that_counts_something_is_a_quantity() -> None:
    assert has_quantity("Turkey sent 1500 soldiers across the border")
    assert has_quantity("some 2000 km of pipeline")
    assert not has_quantity("the invasion of Kuwait by Iraq in 1990")
    assert not has_quantity("in 1990 against Iran, and in the 1980s")


def test_number_words_count_only_when_they_quantify() -> None:
    assert has_quantity("three ministers resigned")
    assert has_quantity("thousands of refugees")
    assert has_quantity("a third of the debt")
    assert not has_quantity("one of the founding members")
    assert not has_quantity("no one came")
    assert not has_quantity("the third country to recognise it")
    assert not has_quantity("Iraq and Iran, two")


def test_a_number_word_before_a_name_counts_it() -> None:
    assert has_quantity("In July 2024, three Swedes residing in Iraq were sentenced")
    assert has_quantity("Iraq had one and a half million Christians")
    assert not has_quantity("the one Iraq wants")  # "one" before a name rarely counts it
    assert not has_quantity("in 1990 Iraq invaded Kuwait")
