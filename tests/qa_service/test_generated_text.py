"""Generated text -> sentences and markers: the parsing half of the generative answerer."""

from __future__ import annotations

import pytest

from qa_service.answering.generative import SentenceReader, declines, parse_markers, unframed

REPLY = (
    "- The border is 1,458 kilometers long [1]. It was set in 1975. [2] The U.S. Army left "
    "in 2011 [2, 3].\nIt ended [4][1].\n2. The passages do not answer the question."
)
SENTENCES = [
    "The border is 1,458 kilometers long [1].",
    "It was set in 1975. [2]",
    "The U.S. Army left in 2011 [2, 3].",
    "It ended [4][1].",
    "The passages do not answer the question.",
]


@pytest.mark.parametrize("size", [1, 2, 5, 13, len(REPLY)])
def test_sentences_come_out_whole_however_the_text_is_cut(size: int) -> None:
    reader = SentenceReader()
    sentences = []
    for i in range(0, len(REPLY), size):
        sentences += reader.feed(REPLY[i : i + size])
    sentences += reader.close()
    assert [s.strip() for s in sentences] == SENTENCES


def test_markers_written_after_the_full_stop_in_any_form_stay_with_their_sentence() -> None:
    reader = SentenceReader()
    sentences = reader.feed("It was set in 1975. [Pass")
    sentences += reader.feed("age 2] Then (1")
    sentences += reader.feed(") it ended.") + reader.close()
    assert [parse_markers(s) for s in sentences] == [
        parse_markers("It was set in 1975 [2]."),
        parse_markers("Then (1) it ended."),
    ]


def test_a_sentence_is_held_back_until_the_next_one_starts() -> None:
    reader = SentenceReader()
    assert reader.feed("It was set in 1975.") == []
    assert reader.feed(" [2]") == []  # its marker came after the full stop
    assert [s.strip() for s in reader.feed(" Then it")] == ["It was set in 1975. [2]"]
    assert reader.close() == ["Then it"]


@pytest.mark.parametrize(
    ("sentence", "text", "markers"),
    [
        ("It is 1,458 km long [1].", "It is 1,458 km long.", (1,)),
        ("It is long [1][3].", "It is long.", (1, 3)),
        ("It is long [2, 4].", "It is long.", (2, 4)),
        ("It is long [2,4] and wide [2].", "It is long and wide.", (2, 4)),
        ("It was set in 1975. [2]", "It was set in 1975.", (2,)),
        ("No marker at all.", "No marker at all.", ()),
        ("A [0] and a [12].", "A and a.", (0, 12)),
        ("It is long (2).", "It is long.", (2,)),
        ("It is long [Passage 3].", "It is long.", (3,)),
        ("It is long (passages 1 and 2).", "It is long.", (1, 2)),
        ("It is long [1 and 3].", "It is long.", (1, 3)),
        ("It was founded (1953) by them [1].", "It was founded (1953) by them.", (1,)),
    ],
)
def test_markers_are_parsed_and_removed(sentence: str, text: str, markers: tuple[int, ...]) -> None:
    parsed = parse_markers(sentence)
    assert (parsed.text, parsed.markers) == (text, markers)


@pytest.mark.parametrize(
    ("sentence", "declined"),
    [
        ("The passages do not answer the question.", True),
        ("The sources don't mention the treaty.", True),
        ("The context does not say when it was signed.", True),
        ("There is no information about that.", True),
        ("The article does not mention the treaty.", True),
        ("It covers the war, but the answer to the question is not provided.", True),
        ("The passage about the 1975 treaty is not about the question.", True),
        ('The passage has no answer for the question "Who signed it?"', True),
        ("Iraq does not border Egypt [1].", False),
        ("The treaty was not signed until 1975 [2].", False),
    ],
)
def test_a_statement_that_the_passages_do_not_answer_is_recognised(
    sentence: str, declined: bool
) -> None:
    assert declines(sentence) is declined


@pytest.mark.parametrize(
    ("claim", "unwrapped"),
    [
        ('The answer to the question is: "The border is long."', "The border is long."),
        ("The answer is: it is long.", "It is long."),
        ('The answer to the question is "The border is long."', "The border is long."),
        ("According to passage 2, the border is long.", "The border is long."),
        ("The passage says that the border is long.", "The border is long."),
        ("The border is long.", "The border is long."),
        ("The answer is long.", "The answer is long."),  # no colon: the sentence itself
        ("The passage says.", "The passage says."),
    ],
)
def test_a_frame_around_the_claim_is_removed(claim: str, unwrapped: str) -> None:
    assert unframed(claim) == unwrapped
