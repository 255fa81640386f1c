"""The support score: its lexical part by hand, and its verdicts on labelled pairs from the corpus.

The labelled pairs are the ones the threshold was set on (eval/README.md): every supported pair
scores at least 0.56, every unsupported one below 0.48, with the threshold at 0.55.
"""

from __future__ import annotations

import pytest

from eval.metrics.support import THRESHOLD, SupportScorer, initialisms, lexical_overlap, terms

MEMBERSHIPS = (
    "Iraq is a member of the United Nations, the Arab League (of which it is a founding member) "
    "since 1945, the Organization of the Petroleum Exporting Countries (of which it is also a "
    "founding member) since 1960, and the Organisation of Islamic Cooperation since 1976."
)
PIPELINE = (
    "The Kirkuk-Ceyhan Oil Pipeline, put into service in 1977 to bypass a Syrian attempt to "
    "embargo its oil exports, allowed Iraq in 2014 to deliver up to 400,000 barrels of oil per day "
    "via Turkey, or a quarter of its oil exports."
)
FIRES = (
    "When fires broke out in Latakia this summer, Baghdad acted with rare speed, dispatching full "
    "firefighting teams through the Iraqi Ministry of Interior."
)
MINISTER = "The Iraqi Minister of Foreign Affairs is Fuad Hussein, since June 2020."
CONSULATE = (
    "Between 2014 and 2018, Turkey closed its consulate in Mosul because of the taking hostage of "
    "its diplomats in this city by the Islamic State group."
)

SUPPORTED = [
    (
        "Iraq is a founding member of the Arab League, which it has belonged to since 1945.",
        MEMBERSHIPS,
    ),
    ("Iraq joined the Arab League in 1945.", MEMBERSHIPS),
    ("Iraq has been a member of OPEC since 1960.", MEMBERSHIPS),
    ("Iraq belongs to the UN, the Arab League, OPEC and the OIC.", MEMBERSHIPS),
    (
        "In 2014 the Kirkuk-Ceyhan pipeline let Iraq deliver up to 400,000 barrels of oil per "
        "day via Turkey.",
        PIPELINE,
    ),
    ("The pipeline carried a quarter of Iraq's oil exports.", PIPELINE),
    ("Baghdad sent firefighting teams when fires broke out in Latakia.", FIRES),
    ("Iraq responded quickly to the Latakia fires by sending firefighters.", FIRES),
    ("Fuad Hussein has been Iraq's foreign minister since June 2020.", MINISTER),
    ("The foreign minister is Fuad Hussein.", MINISTER),
    (
        "Turkey's consulate in Mosul was closed from 2014 to 2018 after the Islamic State took "
        "its diplomats hostage.",
        CONSULATE,
    ),
]
UNSUPPORTED = [
    ("Iraq joined the Arab League in 1950.", MEMBERSHIPS),
    ("Turkey closed its consulate in Mosul between 2014 and 2018.", PIPELINE),
    ("The pipeline was destroyed by sabotage.", PIPELINE),
    ("Oil exports were stopped entirely.", PIPELINE),
    ("Baghdad refused to help with the fires.", FIRES),
    ("Iraq sent troops to fight the fires in Lebanon.", FIRES),
    ("The firefighters were coordinated with Iranian commanders.", FIRES),
    ("The foreign minister resigned after a scandal.", MINISTER),
    ("The Arab League was founded to oppose Israel.", MEMBERSHIPS),
    ("Iraq left OPEC in protest.", MEMBERSHIPS),
]


@pytest.mark.parametrize(("sentence", "quote"), SUPPORTED)
def test_supported_pairs_pass(scorer: SupportScorer, sentence: str, quote: str) -> None:
    judgement = scorer.judge(sentence, [quote])
    assert judgement.supported, judgement
    assert judgement.score >= THRESHOLD


@pytest.mark.parametrize(("sentence", "quote"), UNSUPPORTED)
def test_unsupported_pairs_fail(scorer: SupportScorer, sentence: str, quote: str) -> None:
    judgement = scorer.judge(sentence, [quote])
    assert not judgement.supported, judgement


def test_terms_mark_numbers_and_names_as_required() -> None:
    found = terms("Iraq joined the Arab League in 1945, with 1,458 km of border.")
    assert [(t.key, t.required) for t in found] == [
        ("iraq", False),  # the first word may be capitalised only because it starts the sentence
        ("join", False),
        ("arab", True),
        ("leagu", True),
        ("1945", True),
        ("1458", True),
        ("km", False),
        ("border", False),
    ]


def test_lexical_overlap_by_hand() -> None:
    quote = "Iraq is a founding member of the Arab League since 1945."
    # content terms iraq, join, arab, leagu, 1945: all but "join" are in the quote -> 4/5
    assert lexical_overlap("Iraq joined the Arab League in 1945.", [quote]) == (0.8, ())
    assert lexical_overlap("Iraq joined the Arab League in 1950.", [quote]) == (0.6, ("1950",))


def test_a_changed_number_scores_zero(scorer: SupportScorer) -> None:
    quote = "Iraq is a founding member of the Arab League since 1945."
    judgement = scorer.judge("Iraq is a founding member of the Arab League since 1954.", [quote])
    assert judgement.score == 0.0
    assert judgement.missing == ("1954",)


def test_acronyms_match_their_expansion() -> None:
    spelled = initialisms("the Organization of the Petroleum Exporting Countries (OPEC)")
    assert "opec" in spelled
    assert "oic" in initialisms("the Organisation of Islamic Cooperation")


def test_no_quote_supports_nothing(scorer: SupportScorer) -> None:
    judgement = scorer.judge("Iraq joined the Arab League in 1945.", [])
    assert (judgement.score, judgement.supported, judgement.missing) == (
        0.0,
        False,
        ("Arab", "League", "1945"),
    )
