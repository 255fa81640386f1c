"""Every eval corpus's gold file against its documents: ids, splits, quotes, answers."""

from __future__ import annotations

from collections import Counter

import pytest

from corpus import load_corpus
from eval.corpora import EvalCorpus, eval_corpora
from eval.dataset import EvalItem, load_eval_set
from eval.metrics.answer import contains

CORPORA = list(eval_corpora().values())
MIN_ITEMS = 50
# Unanswerable questions must be there, and must not drown the answerable ones.
MIN_UNANSWERABLE = 15
MAX_UNANSWERABLE_SHARE = 0.6
# Answers derived from their evidence rather than quoted (eval/data/README.md, shipped set only).
DERIVED_ANSWERS = {"q151"}


def _items(corpus: EvalCorpus) -> tuple[EvalItem, ...]:
    return load_eval_set(corpus.gold).items


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_gold_file_has_unique_ids_both_splits_and_a_sane_unanswerable_share(
    corpus: EvalCorpus,
) -> None:
    items = _items(corpus)
    assert len(items) >= MIN_ITEMS
    duplicates = [qid for qid, n in Counter(item.id for item in items).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for split in ("dev", "test"):
        in_split = [item for item in items if item.split == split]
        assert any(item.answerable for item in in_split), f"no answerable item in {split}"
        assert any(not item.answerable for item in in_split), f"no unanswerable item in {split}"
    unanswerable = sum(not item.answerable for item in items)
    assert unanswerable >= MIN_UNANSWERABLE
    assert unanswerable / len(items) <= MAX_UNANSWERABLE_SHARE


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_every_gold_quote_is_an_exact_substring_of_its_document(corpus: EvalCorpus) -> None:
    texts = {document.id: document.text for document in load_corpus(corpus.documents)}
    failures = [
        f"{item.id}: {evidence.quote[:60]!r} not in {evidence.doc_id}"
        for item in _items(corpus)
        for evidence in item.evidence
        if not evidence.quote.strip() or evidence.quote not in texts.get(evidence.doc_id, "")
    ]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_every_gold_answer_is_in_its_evidence(corpus: EvalCorpus) -> None:
    """An extractive answer can hit: the answer, an alias or all listed items are in the quotes
    (as the answer hit compares: case and line breaks ignored)."""
    failures = []
    for item in _items(corpus):
        if not item.answerable or item.id in DERIVED_ANSWERS:
            continue
        text = " ".join(evidence.quote for evidence in item.evidence)
        by_form = any(contains(text, form) for form in (item.answer, *item.aliases))
        by_items = bool(item.answer_items) and all(contains(text, x) for x in item.answer_items)
        if not (by_form or by_items):
            failures.append(f"{item.id}: {item.answer!r} not in its evidence")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_follow_ups_and_unanswerable_items_are_explained(corpus: EvalCorpus) -> None:
    for item in _items(corpus):
        roles = [turn.role for turn in item.history]
        assert roles == ["user", "assistant"] * (len(roles) // 2), item.id
        assert item.answerable or item.notes.strip(), f"{item.id}: unanswerable without notes"


def test_the_corpora_are_registered() -> None:
    names = [corpus.name for corpus in CORPORA]
    assert names[0] == "shipped"
    assert {"squad-complexity", "apache-license", "annotated-types"} <= set(names)


@pytest.mark.parametrize("name", ["apache-license", "annotated-types"])
def test_the_hand_written_sets_have_near_misses_and_follow_ups(name: str) -> None:
    items = _items(eval_corpora()[name])
    assert sum(not item.answerable for item in items) >= 15
    assert sum(item.is_follow_up for item in items) >= 4
    assert sum(item.is_follow_up and not item.answerable for item in items) >= 2
    assert {item.split for item in items if item.is_follow_up} == {"dev", "test"}
