"""The support judges, for real (the bundled MiniLM's token states, the fine-tuned cross-encoder):
the default checks judge rejects each kind of perturbed claim with a reason and accepts faithful
ones, and grounding with it drops what the citations do not say."""

from __future__ import annotations

import pytest

from corpus import load_corpus
from qa_service.answering import Claim, Draft, Source, build_judge, ground
from qa_service.answering.judging import ChecksJudge, LexicalJudge, ModelJudge
from qa_service.settings import Settings

DOCUMENTS = {d.id: d for d in load_corpus()}
TEXT = DOCUMENTS["foreign-relations-of-iraq"].text
BORDER = (
    "The border that currently separates Iraq and Iran as independent states measures 1,458 "
    "kilometers and was approved by the Algiers Agreements signed in 1975."
)
SUMMIT = (
    "In 1978, Baghdad hosted an Arab League summit that condemned and sidelined Egypt for having "
    "accepted the Camp David Accords."
)
TURING = (
    "A probabilistic Turing machine is a deterministic Turing machine with an extra supply of "
    "random bits."
)
FAISS = "Faiss is written in C++ with complete wrappers for Python/numpy."

PERTURBED = {
    "negation": ("In 1978, the Arab League summit in Baghdad did not condemn Egypt.", SUMMIT),
    "number": ("In 1979, Baghdad hosted an Arab League summit that condemned Egypt.", SUMMIT),
    "unit": ("The border between Iraq and Iran measures 1,458 miles.", BORDER),
    "date": ("The border was approved by the Algiers Agreements signed in March 1975.", BORDER),
    "entity": (
        "In 1978, Baghdad hosted an Arab League summit that condemned and sidelined Jordan for "
        "having accepted the Camp David Accords.",
        SUMMIT,
    ),
    "swap": (
        "A deterministic Turing machine is a probabilistic Turing machine with an extra supply "
        "of random bits.",
        TURING,
    ),
    "added": (
        "In 1978, Baghdad hosted an Arab League summit that condemned Egypt and imposed an oil "
        "embargo on it.",
        SUMMIT,
    ),
}
FAITHFUL = {
    "paraphrase": (
        "An Arab League summit held in Baghdad in 1978 condemned Egypt and pushed it aside for "
        "accepting the Camp David Accords.",
        SUMMIT,
    ),
    "paraphrase in another field": (
        "A probabilistic Turing machine is a deterministic one that additionally has access to "
        "random bits.",
        TURING,
    ),
    "shortened": ("Faiss is written in C++.", FAISS),
    "number format": ("The border between Iraq and Iran measures 1458 km.", BORDER),
}


@pytest.fixture(scope="module")
def judge() -> ChecksJudge:
    return ChecksJudge()


@pytest.fixture(scope="module")
def model() -> ModelJudge:
    return ModelJudge()


@pytest.mark.parametrize("kind", sorted(PERTURBED))
def test_a_perturbed_claim_is_rejected_with_a_reason(judge: ChecksJudge, kind: str) -> None:
    (verdict,) = judge.judge([PERTURBED[kind]])
    assert not verdict.supported
    assert verdict.reason


@pytest.mark.parametrize("kind", sorted(FAITHFUL))
def test_a_faithful_claim_is_accepted(judge: ChecksJudge, kind: str) -> None:
    (verdict,) = judge.judge([FAITHFUL[kind]])
    assert verdict.supported and verdict.reason is None


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (
            "swap",
            "the quote says “probabilistic … Turing machine is … deterministic”, not "
            "“deterministic … Turing machine is … probabilistic”",
        ),
        ("added", "the quote does not mention oil, embargo"),
    ],
)
def test_the_reason_names_what_the_quote_does_not_say(
    judge: ChecksJudge, kind: str, reason: str
) -> None:
    (verdict,) = judge.judge([PERTURBED[kind]])
    assert verdict.reason == reason


def test_one_reworded_word_is_tolerated_two_new_ones_are_not(judge: ChecksJudge) -> None:
    quote = "Iraq and Iran signed the treaty in 1975."
    verdicts = judge.judge(
        [
            ("Iraq and Iran agreed to the treaty in 1975.", quote),
            ("Iraq and Iran signed the treaty in 1975 after a decade of border clashes.", quote),
        ]
    )
    assert [v.supported for v in verdicts] == [True, False]
    assert verdicts[1].reason == "the quote does not mention border, clashes"
    assert 0 < verdicts[1].score < 1


@pytest.mark.parametrize(
    ("claim", "quote", "reason"),
    [
        (
            "The border was approved by the secret Algiers Agreements signed in 1975.",
            BORDER,
            "the quote says “the Algiers”, not “the secret Algiers”",
        ),
        (
            "Faiss is written in C++ with complete experimental wrappers for Python/numpy.",
            FAISS,
            "the quote says “complete wrappers”, not “complete experimental wrappers”",
        ),
    ],
)
def test_a_single_word_wedged_into_a_quoted_phrase_is_added_content(
    judge: ChecksJudge, claim: str, quote: str, reason: str
) -> None:
    _assert_rejected(judge, claim, quote, reason)


def _assert_rejected(judge: ChecksJudge, claim: str, quote: str, reason: str) -> None:
    (verdict,) = judge.judge([(claim, quote)])
    assert not verdict.supported
    assert verdict.reason == reason


def test_a_single_reworded_or_hedging_word_is_still_tolerated(judge: ChecksJudge) -> None:
    verdicts = judge.judge(
        [
            ("Faiss is written entirely in C++ with complete wrappers for Python/numpy.", FAISS),
            (
                "The border was approved by the Algiers Agreements, which were signed in 1975.",
                BORDER,
            ),
        ]
    )
    assert [v.supported for v in verdicts] == [True, True]


def test_claims_are_judged_in_one_batch_in_order(judge: ChecksJudge) -> None:
    pairs = [FAITHFUL["paraphrase"], PERTURBED["negation"], (BORDER[:40], BORDER)]
    verdicts = judge.judge(pairs)
    assert [v.supported for v in verdicts] == [True, False, True]
    assert verdicts[2].score == 1.0  # verbatim: nothing to compare
    assert judge.judge([]) == []


def test_the_reason_says_what_the_quote_says(judge: ChecksJudge) -> None:
    (verdict,) = judge.judge([("The border was approved in 1976.", BORDER)])
    assert verdict.reason == "the quote says 1975, not 1976"


# What the cross-encoder does not yet see (README, Grounding): strict, so a model that learns it
# fails here until the mark goes.
MISSED = pytest.mark.xfail(strict=True, reason="the model misses most added content")


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=MISSED) if k == "added" else k for k in sorted(PERTURBED)]
)
def test_the_model_judge_rejects_what_the_checks_and_the_model_see(
    model: ModelJudge, kind: str
) -> None:
    (verdict,) = model.judge([PERTURBED[kind]])
    assert not verdict.supported
    assert verdict.reason


def _source(quote: str) -> Source:
    start = TEXT.index(quote)
    return Source("foreign-relations-of-iraq", start, start + len(quote), "chunk")


def test_grounding_drops_a_negated_and_a_renumbered_claim_and_keeps_a_verbatim_one(
    judge: ChecksJudge,
) -> None:
    cited = (_source(BORDER),)
    draft = Draft(
        [
            Claim("The border between Iraq and Iran was not approved by any agreement.", cited),
            Claim(BORDER.replace("1,458", "1,548"), cited),
            Claim(BORDER, cited),
        ]
    )
    answer = ground(draft, DOCUMENTS, judge)
    assert answer.dropped == 2
    assert answer.text == BORDER[:-1] + " [1]."
    assert answer.citations[0].quote == BORDER


def test_the_settings_choose_the_judge() -> None:
    lexical = Settings(support_judge="lexical", _env_file=None)  # type: ignore[call-arg]
    assert isinstance(build_judge(lexical), LexicalJudge)
    model = Settings(support_judge="model", _env_file=None)  # type: ignore[call-arg]
    assert isinstance(build_judge(model), ModelJudge)
    assert isinstance(build_judge(Settings(_env_file=None)), ChecksJudge)  # type: ignore[call-arg]


def test_the_default_judge_refuses_a_sentence_about_something_else(judge: ChecksJudge) -> None:
    quote = "The treaty was signed in 1975 by Iraq and Iran."
    verdicts = judge.judge(
        [
            ("Iraq and Iran signed the treaty in 1975.", quote),  # reordered: kept
            ("Iraq never signed the treaty.", quote),  # negation: a plain check
            ("Fuad Hussein resigned to run for president.", quote),  # unrelated: nothing said
        ]
    )
    assert [v.supported for v in verdicts] == [True, False, False]
    assert all(v.reason for v in verdicts[1:])


@pytest.mark.parametrize(
    ("claim", "quote", "reason"),
    [
        (
            "The integer factorization problem is that of finding the prime factorization of a "
            "given polynomial.",
            "The integer factorization problem is that of finding the prime factorization of a "
            "given integer.",
            "the quote says “integer”, not “polynomial”",
        ),
        (
            "Photosynthesis converts light energy into chemical energy stored in starch.",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "the quote says “glucose”, not “starch”",
        ),
        (
            "Backups are taken every week and kept for thirty days.",
            "Backups are taken every night and kept for thirty days.",
            "the quote says “night”, not “week”",
        ),
        (
            "The committee publishes its minutes within a day.",
            "The committee publishes its minutes within a week.",
            "the quote says “week”, not “day”",
        ),
        (
            "Annoy is a library for efficient similarity search.",
            "Faiss is a library for efficient similarity search.",
            "the quote says “Faiss”, not “Annoy”",
        ),
        # One compound head, another modifier: close in MiniLM's eyes, still another thing.
        (
            "The CLI prints multi-line messages.",
            "The CLI prints one-line messages.",
            "the quote says “one-line”, not “multi-line”",
        ),
        (
            "The ferry takes cars on the two-lane deck.",
            "The ferry takes cars on the single-lane deck.",
            "the quote says “single-lane”, not “two-lane”",
        ),
    ],
)
def test_a_word_put_in_the_place_of_another_is_a_change(
    judge: ChecksJudge, claim: str, quote: str, reason: str
) -> None:
    _assert_rejected(judge, claim, quote, reason)


def test_a_near_synonym_in_the_place_of_a_word_is_a_rewording(judge: ChecksJudge) -> None:
    quote = "In particular, larger instances will require more time to solve."
    (verdict,) = judge.judge(
        [("In particular, bigger instances will require more time to solve.", quote)]
    )
    assert verdict.supported
