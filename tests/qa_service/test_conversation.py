"""Follow-up questions are searched with the context they leave out."""

from __future__ import annotations

from qa_service.conversation import resolve_query
from qa_service.schemas import Turn

BORDER = [
    Turn(role="user", content="How long is Iraq's border with Iran?"),
    Turn(role="assistant", content="It measures 1,458 kilometers [1]."),
]


def test_a_question_without_history_is_searched_as_asked() -> None:
    assert resolve_query("  When did   Iraq join OPEC? ", []) == "When did Iraq join OPEC?"


def test_a_new_subject_replaces_the_old_one() -> None:
    query = resolve_query("And with Turkey?", BORDER)
    assert "Turkey" in query and "border" in query and "Iran" not in query


def test_what_about_works_like_and() -> None:
    query = resolve_query("What about Kuwait?", BORDER)
    assert query.startswith("Kuwait") and "border" in query and "Iran" not in query


def test_a_pointing_question_keeps_the_earlier_question() -> None:
    query = resolve_query("When was it approved?", BORDER)
    assert query == "How long is Iraq's border with Iran? When was it approved?"


def test_a_self_contained_question_ignores_the_history() -> None:
    assert resolve_query("Who is the foreign minister?", BORDER) == "Who is the foreign minister?"


def test_follow_ups_chain_through_earlier_follow_ups() -> None:
    history = [
        *BORDER,
        Turn(role="user", content="And with Kuwait?"),
        Turn(role="assistant", content="240 km."),
    ]
    query = resolve_query("When was it fixed?", history)
    assert "Kuwait" in query and "border" in query and "fixed" in query and "Iran" not in query
