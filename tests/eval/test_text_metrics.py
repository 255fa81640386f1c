"""Marker handling and sentence splitting of answers."""

from __future__ import annotations

from eval.metrics.text import markers_in, split_sentences, strip_markers


def test_markers_follow_their_sentence_wherever_the_full_stop_is() -> None:
    sentences = split_sentences("Iraq joined in 1945. [1] The U.S. Army left in 2011 [2][3].")
    assert [(s.plain, s.markers) for s in sentences] == [
        ("Iraq joined in 1945.", (1,)),
        ("The U.S. Army left in 2011.", (2, 3)),
    ]


def test_a_trailing_marker_piece_joins_the_last_sentence() -> None:
    sentences = split_sentences("It measures 1,458 kilometers. [1]")
    assert [(s.plain, s.markers) for s in sentences] == [("It measures 1,458 kilometers.", (1,))]


def test_sentence_without_marker_has_none() -> None:
    assert [s.markers for s in split_sentences("One [1]. Two.")] == [(1,), ()]


def test_strip_and_list_markers() -> None:
    assert strip_markers("in 1945 [1]. Then [2] more") == "in 1945. Then more"
    assert markers_in("a [2] b [10] c [2]") == [2, 10, 2]
    assert split_sentences("") == []


def test_answers_split_where_the_service_splits_its_sentences() -> None:
    call = split_sentences('Avoid lambdas in favor of re.compile("pattern").search [1].')
    assert [(s.plain, s.markers) for s in call] == [
        ('Avoid lambdas in favor of re.compile("pattern").search.', (1,))
    ]
    listed = split_sentences("We provide MinLen(x) and MaxLen(y) which bound it [1].")
    assert [s.markers for s in listed] == [(1,)]
    bracket = split_sentences("(Don't include the brackets [1]!) The text is enclosed [1].")
    assert [(s.plain, s.markers) for s in bracket] == [
        ("(Don't include the brackets!)", (1,)),
        ("The text is enclosed.", (1,)),
    ]
