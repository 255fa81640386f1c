"""Training pairs: each perturbation changes what it says it changes; generation is reproducible."""

from __future__ import annotations

import random

from corpus import DEFAULT_CORPUS_DIR
from training import perturbations as p
from training.pairs import corpus_sentences, held_out, make_pairs, pairs_hash

SENTENCE = (
    "In June 2020, the new Iraqi Prime Minister Mustafa Al-Kadhimi made his first trip abroad "
    "to Iran, where he met Ayatollah Ali Khamenei and President Hassan Rouhani."
)


def test_perturbations_change_the_fact_they_name() -> None:
    rng = random.Random(0)
    negated = p.toggle_negation("Iraq is a member of the Arab League.", rng)
    assert negated is not None and any(c in negated for c in (" not ", " never ", " no longer "))
    assert p.toggle_negation("Iraq did not invade Kuwait in 1990.", rng) == (
        "Iraq did invade Kuwait in 1990."
    )
    changed = p.change_number("The border measures 1,458 kilometers.", rng)
    assert changed is not None and "1,458" not in changed and "kilometers" in changed
    unit = p.change_unit("The border measures 1,458 kilometers.", rng)
    assert unit is not None and "1,458" in unit and "kilometers" not in unit
    month = p.change_month(SENTENCE, rng)
    assert month is not None and "June" not in month
    swapped = p.swap_roles("Iraq signed an agreement with Iran in 1975.", rng)
    assert swapped == "Iran signed an agreement with Iraq in 1975."


def test_faithful_variants_keep_the_facts() -> None:
    rng = random.Random(0)
    assert p.drop_trailing_clause(SENTENCE, rng) == (
        "In June 2020, the new Iraqi Prime Minister Mustafa Al-Kadhimi made his first trip "
        "abroad to Iran."
    )
    assert p.move_leading_phrase(SENTENCE, rng) == (
        "The new Iraqi Prime Minister Mustafa Al-Kadhimi made his first trip abroad to Iran, "
        "where he met Ayatollah Ali Khamenei and President Hassan Rouhani in June 2020."
    )
    assert p.reformat_numbers("It measures 1,458 km, 5 percent more.", rng) == (
        "It measures 1458 km, 5% more."
    )
    assert p.passive_to_active("The treaty was signed by Iraq and Iran in 1975.", rng) == (
        "Iraq and Iran signed the treaty in 1975."
    )


def test_pairs_are_reproducible_balanced_and_leave_the_benchmark_out() -> None:
    groups = [g[:120] for g in corpus_sentences(DEFAULT_CORPUS_DIR)]
    excluded = groups[0][5]
    pairs = make_pairs(groups, [excluded], seed=3)
    assert pairs_hash(pairs) == pairs_hash(make_pairs(groups, [excluded], seed=3))
    assert pairs_hash(pairs) != pairs_hash(make_pairs(groups, [excluded], seed=4))
    labels = [pair.label for pair in pairs]
    assert 0.3 < sum(labels) / len(labels) < 0.7
    quoted = " ".join(pair.quote for pair in pairs)
    assert excluded not in quoted
    assert not any(held_out(s) and s in quoted for g in groups for s in g)
