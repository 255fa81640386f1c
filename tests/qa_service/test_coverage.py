"""The words a claim says that its quote does not, read with the bundled MiniLM's token states."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import resolve_model_path
from indexer.onnx_encoder import export_token_encoder
from indexer.settings import BUNDLED_MODEL
from qa_service.answering import coverage as coverage_module
from qa_service.answering.coverage import Coverage, TokenEncoder, WordState
from qa_service.answering.judging import ENCODER_CACHE
from qa_service.answering.support_model import SupportModelError

SUMMIT = (
    "In 1978, Baghdad hosted an Arab League summit that condemned and sidelined Egypt for having "
    "accepted the Camp David Accords."
)


@pytest.fixture(scope="module")
def encoder() -> TokenEncoder:
    return TokenEncoder(ENCODER_CACHE)


def test_each_word_gets_one_unit_state_with_its_offsets(encoder: TokenEncoder) -> None:
    text = "Tidewater prints the tides of Cherbourg."
    states = encoder.words(text)
    assert [s.text for s in states] == ["Tidewater", "prints", "the", "tides", "of", "Cherbourg"]
    assert all(text[s.start : s.end] == s.text for s in states)
    assert all(abs(float(np.linalg.norm(s.vector)) - 1) < 1e-5 for s in states)
    assert encoder.words("") == []


def test_a_reworded_word_has_a_counterpart_an_added_fact_has_none(encoder: TokenEncoder) -> None:
    coverage = Coverage(encoder)
    assert (
        coverage.unsaid("In 1978 an Arab League summit in Baghdad condemned Egypt.", SUMMIT) == []
    )
    added = "In 1978, Baghdad hosted an Arab League summit that imposed an oil embargo on Egypt."
    assert coverage.unsaid(added, SUMMIT) == ["imposed", "oil", "embargo"]
    assert coverage.unsaid(SUMMIT, SUMMIT) == []


def test_the_export_is_cached_by_model_and_recipe(encoder: TokenEncoder) -> None:
    model = resolve_model_path(BUNDLED_MODEL)
    first = export_token_encoder(model, ENCODER_CACHE)  # the fixture exported it already
    assert first.is_file() and first.parent.parent == ENCODER_CACHE
    modified = first.stat().st_mtime_ns
    assert export_token_encoder(model, ENCODER_CACHE) == first
    assert first.stat().st_mtime_ns == modified


def test_a_damaged_export_is_refused_with_what_to_do(tmp_path: Path) -> None:
    cached = export_token_encoder(resolve_model_path(BUNDLED_MODEL), ENCODER_CACHE)
    damaged = tmp_path / cached.parent.name / cached.name
    damaged.parent.mkdir()
    damaged.write_bytes(b"not an onnx graph")
    with pytest.raises(SupportModelError, match=r"delete it and start again"):
        TokenEncoder(tmp_path)


class _Counting:
    """The real token encoder, counting the texts it reads."""

    def __init__(self, encoder: TokenEncoder) -> None:
        self.encoder = encoder
        self.read: list[str] = []

    def words(self, text: str) -> list[WordState]:
        self.read.append(text)
        return self.encoder.words(text)


def test_token_states_are_read_once_per_text_within_the_bound(
    encoder: TokenEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slot check reads the question against each sentence of the gate's window: a text that
    comes up again (the question, a sentence) is read once, and only the last CACHED_TEXTS
    texts are kept."""
    monkeypatch.setattr(coverage_module, "CACHED_TEXTS", 2)
    counting = _Counting(encoder)
    coverage = Coverage(counting)  # type: ignore[arg-type]
    question = SUMMIT.replace("sidelined Egypt", "sidelined Iraq")
    first = coverage.changed(question, SUMMIT)
    assert first == "the quote says “Egypt”, not “Iraq”"
    assert coverage.changed(question, SUMMIT) == first
    assert counting.read.count(question) == 1 and counting.read.count(SUMMIT) == 1
    coverage.unsaid("In 1978 an Arab League summit in Baghdad condemned Egypt.", SUMMIT)
    coverage.unsaid("In 1978 an Arab League summit in Baghdad condemned Egypt.", SUMMIT)
    assert counting.read.count(SUMMIT) == 1
    coverage.unsaid("Baghdad hosted a summit that imposed an embargo.", "Baghdad hosted a summit.")
    coverage.changed(question, SUMMIT)  # pushed out by the last two texts: read again
    assert counting.read.count(question) == 2 and counting.read.count(SUMMIT) == 2
