"""The text analyser on its own: headings, unwrapped sentences, display text and terms."""

from __future__ import annotations

import pytest

from indexer.analysis import (
    DEFAULT_ANALYZER,
    AnalyzerInfo,
    analyzer_for,
    negated,
    numeral_spans,
    terms,
    years,
)

A = DEFAULT_ANALYZER


def _titles(text: str) -> list[tuple[int, str]]:
    return [(h.level, h.title) for h in A.headings(text)]


def _sentences(text: str) -> list[str]:
    return [A.display(text[s:e]) for s, e in A.sentences(text, 0, len(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("= Title =\n== Part ==\nText.\n", [(1, "Title"), (2, "Part")]),
        ("# Title\n\n## Part\n\nText.\n", [(1, "Title"), (2, "Part")]),
        ("Title\n=====\n\nPart\n----\n\nText.\n", [(1, "Title"), (2, "Part")]),
        ("=====\nTitle\n=====\n\nPart\n~~~~\n\nText.\n", [(1, "Title"), (2, "Part")]),
        (
            "Intro.\n\n3. Definitions\n\nText.\n\n3.1 Scope\n\nMore.\n",
            [(2, "3. Definitions"), (3, "3.1 Scope")],
        ),
        ("Annual Report 2023\n\nThe year was good.\n", [(1, "Annual Report 2023")]),
    ],
    ids=["mediawiki", "atx", "setext", "rst", "numbered", "plain title"],
)
def test_heading_styles(text: str, expected: list[tuple[int, str]]) -> None:
    assert _titles(text) == expected


def test_heading_titles_are_shown_without_inline_markup() -> None:
    text = "# The `Doc` type\n\n## Using **bold** and [links](https://x.org)\n\nText.\n"
    assert _titles(text) == [(1, "The Doc type"), (2, "Using bold and links")]


def test_an_underline_alone_is_never_a_heading() -> None:
    text = "Some text here.\n\n==============\n\nMore text.\n"
    assert _titles(text) == []
    assert _titles("Para one.\nA paragraph line\n=====\n") == []  # the last line of a paragraph


def test_a_numbered_list_in_running_text_is_not_a_heading() -> None:
    text = "You need:\n\n1. Flour\n\n2. Water\n\n3. Salt\n\nMix them.\n"
    assert _titles(text) == []
    assert _titles("Steps:\n1. Open the box\n2. Take it out\n") == []


def test_headings_inside_code_are_not_headings() -> None:
    assert _titles("# Guide\n\n```\n# comment\n## more\n```\n") == [(1, "Guide")]


def test_hard_wrapped_lines_join_into_whole_sentences() -> None:
    text = (
        "Python was created in the early 1990s by Guido van Rossum at Stichting\n"
        "Mathematisch Centrum in the Netherlands as a successor of a language\n"
        "called ABC. Guido remains Python's principal author.\n"
    )
    assert _sentences(text) == [
        "Python was created in the early 1990s by Guido van Rossum at Stichting Mathematisch "
        "Centrum in the Netherlands as a successor of a language called ABC.",
        "Guido remains Python's principal author.",
    ]


def test_long_lines_stay_paragraphs_and_list_items_stay_apart() -> None:
    long = "A paragraph that is long enough not to be a wrapped line of a narrow column " * 2
    text = f"{long.strip()}\nAnother paragraph on the next line\n- an item\n- another item\n"
    assert _sentences(text) == [
        long.strip(),
        "Another paragraph on the next line",
        "an item",
        "another item",
    ]


def test_no_sentence_ends_at_a_mark_inside_a_word() -> None:
    text = "Hide it with display:none!important in the style sheet. Then reload.\n"
    assert _sentences(text) == [
        "Hide it with display:none!important in the style sheet.",
        "Then reload.",
    ]
    missing_space = 'They said "no peace".During the war, it held.\n'
    assert _sentences(missing_space) == ['They said "no peace".', "During the war, it held."]


def test_a_bracketed_exclamation_ends_its_sentence_whatever_the_spacing() -> None:
    wrapped = (
        "   replaced with your own identifying information. (Don't include\n"
        "   the brackets!)  The text should be enclosed in the appropriate\n"
        "   comment syntax.\n"
    )
    assert _sentences(wrapped) == [
        "replaced with your own identifying information.",
        "(Don't include the brackets!)",
        "The text should be enclosed in the appropriate comment syntax.",
    ]
    # The segmenter puts the bracket at the start of the next piece: it closes the one before.
    assert _sentences("Do not include the brackets!)  The text follows.") == [
        "Do not include the brackets!)",
        "The text follows.",
    ]


def test_a_dot_inside_code_or_a_call_never_ends_a_sentence() -> None:
    text = (
        'Prefer methods such as `str.lower` or `re.compile("pattern").search`.\n'
        'Write re.compile("pattern").search without quotes. Use `os.path. Join` here.\n'
    )
    assert _sentences(text) == [
        'Prefer methods such as str.lower or re.compile("pattern").search.',
        'Write re.compile("pattern").search without quotes.',
        "Use os.path. Join here.",
    ]


def test_a_sentence_ends_only_at_its_mark() -> None:
    # The segmenter breaks before "(x)" as if it opened a list item; shown without its
    # backticks, the sentence must still be one.
    text = "We also provide `MinLen(x)` and `MaxLen(y)` which bound the length. Then more.\n"
    assert _sentences(text) == [
        "We also provide MinLen(x) and MaxLen(y) which bound the length.",
        "Then more.",
    ]
    shown = _sentences(text)[0]
    assert _sentences(shown) == [shown]


def test_sentence_spans_point_into_text_with_runs_of_white_space() -> None:
    text = "First   one.    Second\n\t one!  "
    spans = A.sentences(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == ["First   one.", "Second\n\t one!"]


def test_markdown_is_displayed_without_markup_and_spans_keep_the_original() -> None:
    text = (
        "| Variable | Default |\n| --- | --- |\n| `RAG_ABSTAIN_BELOW` | 0.4 |\n\n"
        "- See the [guide](https://example.org) for **more** and *less*.\n\n"
        "```sh\nmake test. make serve.\n```\n"
    )
    spans = A.sentences(text, 0, len(text))
    assert [A.display(text[s:e]) for s, e in spans] == [
        "Variable; Default",
        "RAG_ABSTAIN_BELOW; 0.4",
        "See the guide for more and less.",
    ]
    assert text[spans[1][0] : spans[1][1]] == "| `RAG_ABSTAIN_BELOW` | 0.4 |"
    assert text[spans[2][0] : spans[2][1]].startswith("- See the [guide](")


def test_terms_are_stemmed_without_stop_words_and_keep_numbers_whole() -> None:
    assert terms("The borders measured 1,458 kilometers in 1975") == [
        "border",
        "measur",
        "1458",
        "kilomet",
        "1975",
    ]


def test_an_index_names_its_analyser_by_name_and_version() -> None:
    assert analyzer_for(A.info) is A
    with pytest.raises(LookupError, match=f"at version {A.info.version}, not 7"):
        analyzer_for(AnalyzerInfo(A.info.name, 7))


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("How many soldiers died?", "number"),
        ("What share of the budget went to books?", "number"),
        ("When did the war end?", "date"),
        ("In what year did it end?", "date"),
        ("When is the index considered stale?", None),  # a condition, not a date
        ("Who leads the council?", "name"),
        ("And where is the museum?", "place"),
        ("Which licence covers the fork?", "thing"),
        ("What is a predicate?", None),  # a definition: a whole sentence answers it
        ("Why was the roof repair postponed?", None),
    ],
)
def test_what_a_question_asks_for(question: str, asked: str | None) -> None:
    assert A.asked_for(question) == asked


@pytest.mark.parametrize(
    ("text", "quantity", "date"),
    [
        ("Turkey sent 1500 soldiers across the border", True, False),
        ("some 2000 km of pipeline and 2000 people", True, False),
        ("the 2003 invasion of the country", False, True),  # a singular word: a year
        ("in 1990 against Iran, and in the 1980s", False, True),
        ("On 29 January 2002 it was signed", False, True),
        ("it measures 1,458 kilometers", True, False),
        ("early in the 21st century", False, True),  # an ordinal counts nothing
        ("three ministers resigned", True, False),
        ("thousands of refugees", True, False),
        ("one of the founding members", False, False),
        ("no one came", False, False),
        ("the third country to sign", False, False),
    ],
)
def test_years_quantities_and_number_words(text: str, quantity: bool, date: bool) -> None:
    assert A.holds("number", text) is quantity
    assert A.holds("date", text) is date


def test_date_spans_names_and_numerals() -> None:
    text = "On 29 January 2002, 1500 soldiers left; in the 1990s they had come."
    assert [text[s:e] for s, e in A.date_spans(text)] == ["29 January 2002", "1990s"]
    question = "Who leads the Ministry of Interior? Ask Iraq"
    assert [question[s:e] for s, e in A.names(question)] == ["Ministry", "Interior", "Iraq"]
    assert A.numerals("It is 1,458 km, or 2.5 times") == ["1458", "2.5"]


def test_year_and_numeral_spans() -> None:
    text = "In 2003, 1500 soldiers and 1,458 km; by the 1990s, 2.5 times more."
    assert [text[s:e] for s, e in years(text)] == ["2003", "1990s"]
    assert [text[s:e] for s, e in numeral_spans(text)] == ["2003", "1500", "1,458", "1990", "2.5"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iraq is not a member.", True),
        ("It didn't sign.", True),
        ("It never did, without doubt.", True),
        ("Nothing notable: a knot, nonetheless.", False),
        ("Iraq is a member.", False),
    ],
)
def test_negated(text: str, expected: bool) -> None:
    assert negated(text) is expected
