"""Checks the gold eval set against the real corpus: schema, counts, splits and evidence quotes."""

from __future__ import annotations

from collections import Counter
from typing import get_args

import pytest

from corpus import Document, load_corpus
from eval.dataset import EvalItem, EvalSet, QuestionType, load_eval_set

MIN_ITEMS = 120
MIN_UNANSWERABLE = 20
MIN_FOLLOW_UPS = 10
MIN_UNANSWERABLE_FOLLOW_UPS = 2
MIN_CROSS_DOCUMENT_HOPS = 4

# Items whose gold answer is a derived value that cannot appear verbatim in the evidence.
# Keep this tiny: every entry must say in its notes how the answer is derived.
DERIVED_ANSWERS: dict[str, str] = {
    "q151": "2001 = Armenia's embassy in 2000 + Iraq's 'a year later'",
}


@pytest.fixture(scope="module")
def eval_set() -> EvalSet:
    return load_eval_set()


@pytest.fixture(scope="module")
def items(eval_set: EvalSet) -> tuple[EvalItem, ...]:
    return eval_set.items


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {doc.id: doc for doc in load_corpus()}


def _report(failures: list[str]) -> str:
    return f"{len(failures)} failing item(s):\n" + "\n".join(failures)


def test_the_set_loads_with_enough_items(items: tuple[EvalItem, ...]) -> None:
    assert len(items) >= MIN_ITEMS, f"only {len(items)} items, want at least {MIN_ITEMS}"


def test_ids_are_unique(items: tuple[EvalItem, ...]) -> None:
    counts = Counter(item.id for item in items)
    duplicates = sorted(qid for qid, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_enough_unanswerable_items(items: tuple[EvalItem, ...]) -> None:
    unanswerable = [item for item in items if not item.answerable]
    assert len(unanswerable) >= MIN_UNANSWERABLE, f"only {len(unanswerable)} unanswerable items"


def test_enough_follow_ups(items: tuple[EvalItem, ...]) -> None:
    follow_ups = [item for item in items if item.is_follow_up]
    assert len(follow_ups) >= MIN_FOLLOW_UPS, f"only {len(follow_ups)} follow-ups"
    unanswerable = [item for item in follow_ups if not item.answerable]
    assert len(unanswerable) >= MIN_UNANSWERABLE_FOLLOW_UPS, (
        f"only {len(unanswerable)} unanswerable follow-ups"
    )


def test_follow_up_histories_alternate_user_and_assistant(items: tuple[EvalItem, ...]) -> None:
    failures = []
    for item in items:
        if not item.is_follow_up:
            continue
        roles = [turn.role for turn in item.history]
        expected = ["user", "assistant"] * (len(roles) // 2)
        if roles != expected or not all(turn.content.strip() for turn in item.history):
            failures.append(f"{item.id}: history roles {roles} or an empty turn")
    assert not failures, _report(failures)


def test_both_splits_contain_every_type(eval_set: EvalSet) -> None:
    every_type = set(get_args(QuestionType))
    for split in ("dev", "test"):
        present = {item.type for item in eval_set.split(split)}
        missing = sorted(every_type - present)
        assert not missing, f"split {split!r} has no item of type {missing}"


def test_cross_document_multi_hops(items: tuple[EvalItem, ...]) -> None:
    cross = [
        item.id
        for item in items
        if item.type == "multi_hop" and len({e.doc_id for e in item.evidence}) > 1
    ]
    assert len(cross) >= MIN_CROSS_DOCUMENT_HOPS, f"only {len(cross)} cross-document hops"


def test_every_doc_id_exists(items: tuple[EvalItem, ...], docs: dict[str, Document]) -> None:
    failures = [
        f"{item.id}: unknown doc id {evidence.doc_id!r}"
        for item in items
        for evidence in item.evidence
        if evidence.doc_id not in docs
    ]
    assert not failures, _report(failures)


def test_quotes_are_exact_unique_and_in_their_section(
    items: tuple[EvalItem, ...], docs: dict[str, Document]
) -> None:
    failures = []
    for item in items:
        for evidence in item.evidence:
            doc = docs.get(evidence.doc_id)
            if doc is None:
                continue  # reported by test_every_doc_id_exists
            count = doc.text.count(evidence.quote)
            if count != 1 or not evidence.quote.strip():
                failures.append(f"{item.id}: quote occurs {count} times: {evidence.quote[:60]!r}")
                continue
            section = doc.section_at(doc.text.index(evidence.quote)).path
            if section != evidence.section:
                failures.append(f"{item.id}: section {evidence.section!r}, quote is in {section!r}")
    assert not failures, _report(failures)


def test_answerable_items_are_supported_by_their_evidence(items: tuple[EvalItem, ...]) -> None:
    failures = []
    for item in items:
        if not item.answerable or item.id in DERIVED_ANSWERS:
            continue
        text = " ".join(evidence.quote for evidence in item.evidence).lower()
        forms = [form for form in (item.answer, *item.aliases) if form]
        by_form = any(form.lower() in text for form in forms)
        by_items = bool(item.answer_items) and all(x.lower() in text for x in item.answer_items)
        if not (by_form or by_items):
            failures.append(
                f"{item.id}: neither {forms} nor all of {item.answer_items} in evidence"
            )
    assert not failures, _report(failures)


def test_derived_answer_allow_list_is_tiny_and_explained(items: tuple[EvalItem, ...]) -> None:
    assert len(DERIVED_ANSWERS) <= 3, "the derived-answer allow-list must stay tiny"
    by_id = {item.id: item for item in items}
    for qid in DERIVED_ANSWERS:
        item = by_id.get(qid)
        assert item is not None, f"{qid}: allow-listed but not in the set"
        assert item.answerable and item.evidence, f"{qid}: allow-listed but has no evidence"
        assert "derived" in item.notes.lower(), f"{qid}: notes must explain the derivation"


def test_unanswerable_items_explain_why(items: tuple[EvalItem, ...]) -> None:
    failures = [
        f"{item.id}: unanswerable without notes"
        for item in items
        if not item.answerable and not item.notes.strip()
    ]
    assert not failures, _report(failures)


def test_list_items_have_several_entries(items: tuple[EvalItem, ...]) -> None:
    failures = [
        f"{item.id}: list question with {len(item.answer_items)} answer_items"
        for item in items
        if item.type == "list" and len(item.answer_items) < 2
    ]
    assert not failures, _report(failures)
