"""Grounding drops what citations do not support, and numbers citations by first use."""

from __future__ import annotations

from corpus import load_corpus
from qa_service.answering import ABSTENTION, Claim, Draft, Source, ground, with_markers
from qa_service.answering.judging import LexicalJudge
from qa_service.answering.judging import overlap_support as support_score

DOCUMENTS = {d.id: d for d in load_corpus()}
TEXT = DOCUMENTS["foreign-relations-of-iraq"].text
SENTENCE = "The Iraqi Minister of Foreign Affairs is Fuad Hussein, since June 2020."


def _source(quote: str) -> Source:
    start = TEXT.index(quote)
    return Source("foreign-relations-of-iraq", start, start + len(quote), "chunk")


def test_a_verbatim_sentence_is_fully_supported() -> None:
    assert support_score(SENTENCE, SENTENCE) == 1.0


def test_a_changed_number_is_not_supported() -> None:
    assert support_score(SENTENCE.replace("2020", "2021"), SENTENCE) == 0.0


def test_a_sentence_about_something_else_scores_low() -> None:
    assert support_score("Iraq joined NATO in 1999 after a referendum.", SENTENCE) < 0.5


def test_unsupported_claims_are_dropped_and_markers_stay_contiguous() -> None:
    draft = Draft(
        [
            Claim(SENTENCE, (_source(SENTENCE),)),
            Claim("Fuad Hussein resigned in 2019 to run for president.", (_source(SENTENCE),)),
            Claim(
                "Iraq is a member of the United Nations, the Arab League (of which it is a "
                "founding member) since 1945, the Organization of the Petroleum Exporting "
                "Countries (of which it is also a founding member) since 1960, and the "
                "Organisation of Islamic Cooperation since 1976.",
                (
                    _source(
                        "Iraq is a member of the United Nations, the Arab League (of which it is "
                        "a founding member) since 1945"
                    ),
                ),
            ),
        ],
    )
    answer = ground(draft, DOCUMENTS, LexicalJudge(0.75))
    assert answer.dropped == 2  # the invented claim, and the one its short citation cannot carry
    assert [c.marker for c in answer.citations] == [1]
    assert answer.text == SENTENCE[:-1] + " [1]."
    citation = answer.citations[0]
    assert TEXT[citation.start : citation.end] == citation.quote == SENTENCE
    assert citation.section == "Introduction"


def test_a_citation_outside_the_document_is_dropped() -> None:
    bad = Source("foreign-relations-of-iraq", len(TEXT) - 5, len(TEXT) + 50, "chunk")
    unknown = Source("no-such-document", 0, 10, "chunk")
    draft = Draft([Claim(SENTENCE, (bad,)), Claim(SENTENCE, (unknown,))])
    answer = ground(draft, DOCUMENTS, LexicalJudge(0.75))
    assert answer.abstained and answer.text == ABSTENTION and answer.citations == []


def test_the_same_span_cited_twice_keeps_one_marker() -> None:
    claim = Claim(SENTENCE, (_source(SENTENCE),))
    answer = ground(Draft([claim, claim]), DOCUMENTS, LexicalJudge(0.75))
    assert answer.text.count("[1]") == 2 and len(answer.citations) == 1


def test_markers_go_inside_the_closing_punctuation() -> None:
    assert with_markers("It ended.", [1]) == "It ended [1]."
    assert with_markers('He said "no."', [2, 3]) == 'He said "no [2][3]."'
    assert with_markers("- A list item", [4]) == "- A list item [4]"
