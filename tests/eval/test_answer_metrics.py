"""Answer hit and token F1 on hand-computed cases."""

from __future__ import annotations

import pytest

from eval.metrics.answer import (
    AnswerScores,
    answer_hit,
    exact_match,
    score_answer,
    score_short_answer,
    token_f1,
)


def test_hit_ignores_case_white_space_and_markers() -> None:
    answer = "Iraq joined the ARAB\n  league [1] in 1945 [2]."
    assert answer_hit(answer, ["Arab League"], [])
    assert answer_hit(answer, ["league in 1945"], [])  # the marker between them is stripped


def test_hit_needs_whole_words() -> None:
    assert not answer_hit("It was founded in 19450.", ["1945"], [])
    assert answer_hit("It was founded in 1945.", ["1945"], [])


def test_hit_accepts_an_alias() -> None:
    assert answer_hit("Britain held the mandate [1].", ["United Kingdom", "Britain"], [])
    assert not answer_hit("France held the mandate [1].", ["United Kingdom", "Britain"], [])


def test_list_hit_needs_every_item() -> None:
    items = ["Qatar", "Kuwait", "Oman"]
    assert not answer_hit("It serves Qatar and Kuwait [1].", ["Qatar, Kuwait and Oman"], items)
    assert answer_hit("It serves Oman, Kuwait and Qatar [1].", ["Qatar, Kuwait and Oman"], items)


def test_token_f1_by_hand() -> None:
    # "the arab league in 1945 [1]." -> arab league in 1945 (4 tokens); gold: arab league (2)
    # common 2: precision 2/4, recall 2/2, F1 = 2 * 0.5 * 1 / 1.5 = 2/3
    assert token_f1("The Arab League in 1945 [1].", "Arab League") == pytest.approx(2 / 3)
    assert token_f1("Nothing in common.", "Arab League") == 0.0


def test_token_f1_takes_the_best_gold_form() -> None:
    # "Nouri al-Maliki" -> nouri almaliki: F1 2/3 against "almaliki"; the alias matches exactly.
    scores = score_answer("al-Maliki", ["Nouri al-Maliki", "al-Maliki"], [])
    assert scores.token_f1 == 1.0
    assert token_f1("al-Maliki", "Nouri al-Maliki") == pytest.approx(2 / 3)


def test_exact_match_is_squad_normalised() -> None:
    assert exact_match("The 1,458 km.", "1,458 km")
    assert exact_match("“Arab League”", "arab league")
    assert not exact_match("1,458 kilometers", "1,458 km")


def test_a_short_answer_takes_the_best_gold_form_and_none_is_wrong() -> None:
    scores = score_short_answer("in 1936", ["1936", "in 1936"])
    assert scores.hit and scores.token_f1 == 1.0
    partial = score_short_answer("the year 1936", ["1936"])
    assert not partial.hit and partial.token_f1 == pytest.approx(2 / 3)
    assert score_short_answer(None, ["1936"]) == AnswerScores(hit=False, token_f1=0.0)
