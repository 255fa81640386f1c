"""Question -> claim (QA2D): English question grammar, on questions of every eval corpus."""

from __future__ import annotations

import pytest

from qa_service.answering.claims import question_claim

# (question, candidate answer, the claim): the shipped corpus, the SQuAD 2.0 article, the
# Apache License and the annotated-types README.
WITH_ANSWER = [
    # a subject wh-phrase: the answer stands where it stood
    (
        "Who won the 2025 Iraqi parliamentary elections?",
        "the Sadrist movement",
        "the Sadrist movement won the 2025 Iraqi parliamentary elections",
    ),
    ("How many Kurds live in Turkey?", "15 million", "15 million Kurds live in Turkey"),
    (
        "What can be viewed as a limited collection of instances?",
        "a problem",
        "a problem can be viewed as a limited collection of instances",
    ),
    (
        "What theorem was implicated by Manuel Blum's axioms?",
        "the speed-up theorem",
        "the speed-up theorem was implicated by Manuel Blum's axioms",
    ),
    (
        "What does not define a bigger set of problems?",
        "DTIME",
        "DTIME does not define a bigger set of problems",
    ),
    # a fronted object with do-support: the auxiliary goes, the answer takes the end
    (
        "What does a big O notation hide?",
        "constant factors",
        "a big O notation hide constant factors",
    ),
    ("When did Iraq invade Kuwait?", "1990", "Iraq invade Kuwait 1990"),
    (
        "How many barrels of oil did the contract with Egypt cover?",
        "12 million",
        "the contract with Egypt cover 12 million barrels of oil",
    ),
    # a preposition before the wh-phrase stays with the answer
    (
        "In which year did Turkey agree to double its electricity exports to Iraq?",
        "2022",
        "Turkey agree to double its electricity exports to Iraq in 2022",
    ),
    (
        "Under what terms is a Contribution licensed?",
        "the terms of this License",
        "a Contribution licensed under the terms of this License",
    ),
    # "is" before its complement stays; a "how" of manner drops it
    (
        "Who is Iraq's ambassador in Washington?",
        "Nizar al-Khairallah",
        "Iraq's ambassador in Washington is Nizar al-Khairallah",
    ),
    ("How short is Iraq's seafront?", "58 km", "Iraq's seafront is 58 km"),
    ("How is the index built?", "atomically", "the index built atomically"),
    (
        "When is the index considered stale?",
        "when a document changes",
        "the index considered stale when a document changes",
    ),
    # a modal or "have" goes like "do"
    (
        "What may a Licensor charge a fee for?",
        "warranty",
        "a Licensor charge a fee for warranty",
    ),
    # a wh-word left in place
    (
        "Reduction takes one problem and converts it into what?",
        "another problem",
        "Reduction takes one problem and converts it into another problem",
    ),
    # a contracted negation stays in the claim
    (
        "Why didn't Iraq join the alliance?",
        "it was at war",
        "not Iraq join the alliance it was at war",
    ),
    ("And what did he say?", "nothing", "he say nothing"),
    (
        "In the Dhofar War, whom did Iran back?",
        "Sultan Qaboos",
        "In the Dhofar War, Iran back Sultan Qaboos",
    ),
    (
        "Which attribute holds the value passed to doc()?",
        "documentation",
        "documentation attribute holds the value passed to doc()",
    ),
]

WITHOUT_ANSWER = [
    # no slot: the wh-phrase's content words stay where the answer would go
    (
        "Who won the 2025 Iraqi parliamentary elections?",
        "won the 2025 Iraqi parliamentary elections",
    ),
    ("How many Kurds live in Turkey?", "Kurds live in Turkey"),
    (
        "In which year did Turkey agree to double its exports?",
        "Turkey agree to double its exports in year",
    ),
    ("How short is Iraq's seafront?", "Iraq's seafront is short"),
    # yes/no: the fronted auxiliary goes, a negation stays
    ("Is max_length's upper bound inclusive now?", "max_length's upper bound inclusive now"),
    (
        "Does the License let me use the Licensor's trademarks?",
        "the License let me use the Licensor's trademarks",
    ),
    ("Can't the Licensor revoke the license?", "not the Licensor revoke the license"),
    (
        "If my program only links to the Work, is it a Derivative Work?",
        "If my program only links to the Work, it a Derivative Work",
    ),
    # no question at all: it states itself
    ("Hissein Brahim Taha", "Hissein Brahim Taha"),
    (
        "Name the kinds of Object form the License gives as examples.",
        "Name the kinds of Object form the License gives as examples",
    ),
    ("", ""),
]


@pytest.mark.parametrize(("question", "answer", "claim"), WITH_ANSWER)
def test_the_answer_takes_the_wh_phrase_s_place(question: str, answer: str, claim: str) -> None:
    assert question_claim(question, answer) == claim


@pytest.mark.parametrize(("question", "claim"), WITHOUT_ANSWER)
def test_without_an_answer_the_rest_of_the_question_is_stated(question: str, claim: str) -> None:
    assert question_claim(question) == claim


def test_the_claim_never_keeps_the_wh_word_or_the_question_mark() -> None:
    for question, _, _ in WITH_ANSWER:
        claim = question_claim(question, "Smith").lower().split()
        assert "smith" in claim
        assert not {"what", "which", "who", "whom", "when", "why", "how"} & set(claim)
        assert not claim[-1].endswith("?")
