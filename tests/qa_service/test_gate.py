"""The evidence gate: near misses abstain and their answerable twins answer, on two real corpora;
the calibration belongs to the embedding model it was fitted for."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import replace

import pytest

from eval.corpora import get_corpus
from eval.dataset import load_eval_set
from eval.nearmiss import MaskedView, masked_rows
from indexer.analysis import holds
from indexer.building import build_index
from indexer.store import CorpusView
from qa_service.answering import AnswerContext
from qa_service.answering.calibration import (
    Calibration,
    CalibrationTable,
    Regression,
    gate_setup,
    load_table,
)
from qa_service.answering.evidence import Candidate, ScoringParams, SentenceScorer
from qa_service.answering.gate import (
    FEATURES,
    TOPIC_FEATURES,
    GateModel,
    Logistic,
    PresuppositionGate,
)
from qa_service.answering.roles import Question
from qa_service.pipeline import QAService
from qa_service.retrieval import Hit
from qa_service.schemas import AskRequest
from qa_service.settings import Settings

# (near miss, its answerable twin): the twin asks what the passage says, the near miss asks for
# something next to it that the passage does not say.
SHIPPED_TWINS = [
    (
        "How many wanted people did Iraq hand over through Interpol?",
        "Which international police body has Baghdad started working with again?",
    ),
]
SQUAD_TWINS = [
    (
        "What does not define a bigger set of problems?",
        "What does a big O notation hide?",
    ),
]


@pytest.fixture(scope="module")
def squad_service(
    service: QAService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QAService]:
    """The SQuAD 2.0 article of the eval corpora, indexed with the session's model."""
    corpus = get_corpus("squad-complexity")
    index_dir = tmp_path_factory.mktemp("squad") / "index"
    settings = Settings(_env_file=None, corpus_dir=corpus.documents, index_dir=index_dir)
    build_index(settings, embedders=[service.embedder])
    yield QAService(settings, embedder=service.embedder)


@pytest.mark.parametrize(("near_miss", "twin"), SHIPPED_TWINS)
def test_shipped_near_misses_abstain_and_their_twins_answer(
    service: QAService, near_miss: str, twin: str
) -> None:
    missed = service.ask(AskRequest(question=near_miss))
    answered = service.ask(AskRequest(question=twin))
    assert missed.abstained and missed.abstention_reason
    assert not answered.abstained and answered.citations


@pytest.mark.parametrize(("near_miss", "twin"), SQUAD_TWINS)
def test_squad_near_misses_abstain_and_their_twins_answer(
    squad_service: QAService, near_miss: str, twin: str
) -> None:
    assert squad_service.ask(AskRequest(question=near_miss)).abstained
    assert not squad_service.ask(AskRequest(question=twin)).abstained


def test_when_is_answered_by_a_year_the_text_gives(service: QAService) -> None:
    # The text says "the invasion of Kuwait by Iraq in 1990": a year, though no full date.
    response = service.ask(AskRequest(question="When did Iraq invade Kuwait?"))
    assert not response.abstained and holds("date", response.answer)


def test_the_gate_score_rises_with_the_evidence(service: QAService) -> None:
    """Higher is more answerable: a threshold sweep reads it that way."""
    near_miss, twin = SHIPPED_TWINS[0]
    scores = {}
    for question in (near_miss, twin):
        retrieval = service.retrieve(question, 5)
        context = AnswerContext(
            question, [], retrieval.question, retrieval.hits, service.view(retrieval)
        )
        scores[question] = service.roles.gate.decide(context).score
    assert scores[twin] > scores[near_miss]


def test_the_gate_and_the_answerer_score_the_sentences_once(
    service: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored: list[str] = []
    score = SentenceScorer._score

    def counting(
        self: SentenceScorer, question: Question, hits: list[Hit], corpus: CorpusView
    ) -> list[Candidate]:
        scored.append(question.text)
        return score(self, question, hits, corpus)

    monkeypatch.setattr(SentenceScorer, "_score", counting)
    question = "Which agreements approved the border between Iraq and Iran, and when?"
    response = service.ask(AskRequest(question=question))
    assert not response.abstained and response.citations
    assert scored == [question]


def _reading(service: QAService, question: str) -> dict[str, float]:
    gate = service.roles.gate
    assert isinstance(gate, PresuppositionGate)
    context, _ = service.answer_context(AskRequest(question=question))
    reading = gate.read(context)
    assert reading is not None
    return reading.features


def test_a_word_swapped_in_a_phrase_breaks_its_pairs(squad_service: QAService) -> None:
    # SQuAD 2.0's near miss: "circuit simplicity" where the article says "circuit complexity".
    near_miss = _reading(squad_service, "What unit is measured to determine circuit simplicity?")
    twin = _reading(squad_service, "What unit is measured to determine circuit complexity?")
    assert near_miss["pairs"] < twin["pairs"]
    assert set(near_miss) == set(twin) == set(FEATURES)


CONCRETE = "What term refers to the concrete question to be solved?"
ABSTRACT = "What term refers to the abstract question to be solved?"


def test_a_word_of_another_meaning_in_a_sentence_slot_is_read(squad_service: QAService) -> None:
    # SQuAD 2.0's near miss: "the concrete question" where the article says "the abstract
    # question"; its twin asks what the article says.
    assert _reading(squad_service, CONCRETE)["changed"] == 1.0
    assert _reading(squad_service, ABSTRACT)["changed"] == 0.0
    scores = {}
    for question in (CONCRETE, ABSTRACT):
        context, _ = squad_service.answer_context(AskRequest(question=question))
        scores[question] = squad_service.roles.gate.decide(context).score
    assert scores[CONCRETE] < scores[ABSTRACT]


def test_without_the_token_encoder_no_slot_is_judged(squad_service: QAService) -> None:
    context, _ = squad_service.answer_context(AskRequest(question=CONCRETE))
    scorer = SentenceScorer(ScoringParams.from_settings(squad_service.settings))
    neutral = Logistic({}, 0.0)
    stems_only = PresuppositionGate(scorer, GateModel(neutral, neutral, 0.5), 0.0)
    reading = stems_only.read(context)
    assert reading is not None and reading.features["changed"] == 0.0


def test_a_number_or_name_the_passages_lack_is_read(service: QAService) -> None:
    features = _reading(service, "How many Kurds lived in Turkey in 1921?")
    assert features["numeral_missing"] == 1.0 and features["lacking_count"] > 0
    asked = _reading(service, "How long is the border between Iraq and Iran?")
    assert asked["numeral_missing"] == 0.0 and asked["no_short"] == 0.0


def test_the_bundled_model_is_calibrated(service: QAService) -> None:
    setup = service.roles.gate_setup
    assert setup.calibrated, setup.detail
    hash_ = service.index.manifest.embedding.files_sha256
    assert hash_ in load_table().models


def _table() -> CalibrationTable:
    fit = Calibration(
        model="bundled:model",
        on_topic=Regression(weights=dict.fromkeys(TOPIC_FEATURES, 1.0), bias=-1.0),
        near_miss=Regression(weights=dict.fromkeys(FEATURES, 1.0), bias=-1.0),
        threshold=0.4,
        fitted_on={"shipped": 10},
        command="python -m eval.gate_fit --write",
    )
    return CalibrationTable(reference="abc", models={"abc": fit})


def test_a_calibrated_model_uses_its_own_threshold_unless_the_operator_sets_one() -> None:
    setup = gate_setup("abc", "bundled:model", None, _table())
    assert setup.calibrated and setup.model.threshold == 0.4
    overridden = gate_setup("abc", "bundled:model", 0.7, _table())
    assert overridden.calibrated and overridden.model.threshold == 0.7
    assert "RAG_GATE_THRESHOLD" in overridden.detail


def test_another_model_is_reported_uncalibrated(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        setup = gate_setup("other-hash", "my/other-model", None, _table())
    assert not setup.calibrated
    assert "not calibrated for my/other-model" in setup.detail
    assert "eval.gate_fit" in setup.detail and "RAG_GATE_THRESHOLD" in setup.detail
    assert setup.detail in caplog.text
    chosen = gate_setup("other-hash", "my/other-model", 0.55, _table())
    assert not chosen.calibrated and chosen.model.threshold == 0.55


def test_a_fit_for_other_features_is_not_used() -> None:
    table = _table()
    other = Regression(weights={"coverage": 1.0}, bias=0.0)
    stale = table.models["abc"].model_copy(update={"near_miss": other})
    setup = gate_setup(
        "abc", "bundled:model", None, CalibrationTable(reference="abc", models={"abc": stale})
    )
    assert not setup.calibrated and "eval.gate_fit" in setup.detail
    assert setup.model.threshold == 0.0  # it abstains only when no passage matches


def test_the_gate_score_is_the_lower_of_its_two_probabilities() -> None:
    zeros = dict.fromkeys(FEATURES, 0.0)
    model = GateModel(
        Logistic(dict.fromkeys(TOPIC_FEATURES, 0.0) | {"evidence": 4.0}, -2.0),
        Logistic(zeros | {"negation": -4.0}, 2.0),
        0.5,
    )
    on_topic = zeros | {"evidence": 1.0}
    assert model.score(on_topic) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert model.score(zeros) < 0.5  # far from every passage
    assert model.score(on_topic | {"negation": 1.0}) < 0.5  # negated, and the passage is not


# Answerable gold questions whose evidence, masked out of their own passages (eval/nearmiss.py,
# as the gate's fit builds its synthetic near misses), leaves a near miss: the neighbouring
# sentences stay, the fact asked for goes.
MASKED = [
    ("shipped", "What percentage of Iraq's population is Kurdish?"),
    (
        "shipped",
        "When did Washington, London and Madrid make their final attempt to get a UN ultimatum "
        "against Iraq?",
    ),
    ("squad-complexity", "What is the most frequently employed type of reduction?"),
    ("squad-complexity", 'In what year did Edmond\'s characterize a "good" algorithm?'),
]


def _masked_context(service: QAService, corpus: str, question: str) -> AnswerContext:
    """The question's context with its gold evidence masked out of its passages."""
    item = next(i for i in load_eval_set(get_corpus(corpus).gold).items if i.question == question)
    context, _ = service.answer_context(AskRequest(question=question))
    documents = {d.id: d.text for d in service.documents()}
    spans: dict[str, list[tuple[int, int]]] = {}
    for evidence in item.evidence:
        start = documents[evidence.doc_id].find(evidence.quote)
        assert start >= 0, evidence.quote
        spans.setdefault(evidence.doc_id, []).append((start, start + len(evidence.quote)))
    masked = masked_rows(context.hits, context.corpus.sentences, spans, [item.answer])
    assert masked
    return replace(context, corpus=MaskedView(context.corpus, masked))


@pytest.mark.parametrize(("corpus", "question"), MASKED)
def test_a_question_whose_fact_was_removed_abstains_and_the_original_answers(
    service: QAService, squad_service: QAService, corpus: str, question: str
) -> None:
    asked = squad_service if corpus == "squad-complexity" else service
    gate = asked.roles.gate
    assert isinstance(gate, PresuppositionGate)
    original, _ = asked.answer_context(AskRequest(question=question))
    assert gate.decide(original).answerable
    # A scorer of its own: the service's remembers the unmasked sentences of these hits.
    fresh = gate.with_scorer(SentenceScorer(ScoringParams.from_settings(asked.settings)))
    masked = _masked_context(asked, corpus, question)
    decision = fresh.decide(masked)
    assert not decision.answerable and decision.reason
