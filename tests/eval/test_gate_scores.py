"""The sweep's scores come from the real service in process, deciding as `/ask` decides."""

from __future__ import annotations

import pytest

from eval.gate_scores import collect_scores
from eval.indexes import ensure_index
from eval.runner import request_for
from qa_service.pipeline import QAService
from qa_service.settings import Settings
from tests.eval.eval_fixtures import ITEMS, write_corpus


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    folder = tmp_path_factory.mktemp("gate-scores")
    settings = Settings(
        corpus_dir=write_corpus(folder / "documents"), index_dir=folder / "index", cache_size=0
    )
    ensure_index(settings)
    return QAService(settings)


def test_every_item_gets_the_gate_decision_that_ask_makes(service: QAService) -> None:
    seen: list[str] = []
    scores = collect_scores(service, ITEMS, lambda s: seen.append(s.id))
    assert [s.id for s in scores] == seen == [item.id for item in ITEMS]
    for item, score in zip(ITEMS, scores, strict=True):
        assert score.answerable == item.answerable
        assert score.gate_answers != service.ask(request_for(item)).abstained, item.id
        assert not (score.hit and not item.answerable)
    by_id = {s.id: s for s in scores}
    # The Arab League sentence answers its question: a hit, and more evidence than the bird.
    assert by_id["q-arab-league"].hit
    assert by_id["q-arab-league"].score > by_id["q-bird"].score
