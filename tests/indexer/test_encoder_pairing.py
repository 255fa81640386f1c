"""The build measures the query encoder; the service refuses a pairing it did not allow."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from indexer.artifact import IndexMismatchError, load_index, read_manifest
from indexer.building import BuildReport, build_index, index_needs_build, measure_query_encoder
from indexer.embedding import Embedder, open_embedder
from qa_service.pipeline import QAService
from qa_service.settings import Settings


@pytest.fixture(scope="module")
def int8(settings: Settings) -> Embedder:
    return open_embedder(settings, "onnx-int8", "query")


@pytest.fixture
def index_copy(settings: Settings, built_index: BuildReport, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    return copy


def _edit_pairing(index: Path, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((index / "manifest.json").read_text())
    change(manifest["query_encoders"])
    (index / "manifest.json").write_text(json.dumps(manifest))


def test_the_build_measures_only_the_configured_query_encoder(
    settings: Settings, service: QAService
) -> None:
    manifest = read_manifest(settings.index_dir)
    assert manifest.embedding.encoder == settings.build_encoder
    own = manifest.query_encoders[settings.build_encoder]
    assert own.allowed and own.sha256 == manifest.embedding.encoder_sha256
    configured = manifest.query_encoders[settings.query_encoder]
    assert configured.sha256 == service.embedder.identity.encoder_sha256 and configured.allowed
    assert manifest.query_encoders["onnx-fp32"].mean_cosine >= 0.9999
    assert set(manifest.query_encoders) == {settings.build_encoder, settings.query_encoder}


def test_the_int8_encoder_measures_close_but_not_equal(service: QAService, int8: Embedder) -> None:
    index = service.index
    measured = measure_query_encoder(
        int8, index.sentences, index.sentence_vectors, index.dense, min_cosine=0.99
    )
    assert measured.probes > 50
    assert 0.99 <= measured.mean_cosine < 0.9999 and measured.min_cosine <= measured.mean_cosine
    assert measured.top_chunks_agreement > 0.8
    assert measured.allowed and measured.sha256 == int8.identity.encoder_sha256


def test_a_stricter_threshold_does_not_allow_the_pairing(
    service: QAService, int8: Embedder
) -> None:
    index = service.index
    args = (int8, index.sentences, index.sentence_vectors, index.dense)
    assert measure_query_encoder(*args, min_cosine=0.99).allowed
    strict = measure_query_encoder(*args, min_cosine=0.9999)
    assert not strict.allowed and strict.mean_cosine < 0.9999


def _int8_entry(sha256: str, **change: Any) -> dict[str, Any]:
    """A measured onnx-int8 pairing, as a build with RAG_QUERY_ENCODER=onnx-int8 records it."""
    entry = {
        "sha256": sha256,
        "probes": 128,
        "mean_cosine": 0.994,
        "min_cosine": 0.987,
        "top_chunks_agreement": 0.94,
        "allowed": True,
    }
    return entry | change


REFUSALS: dict[str, tuple[Callable[[dict[str, Any], str], None], str]] = {
    "never measured": (
        lambda pairs, _: pairs.pop("onnx-int8", None),
        "did not measure the onnx-int8 query encoder .* with RAG_QUERY_ENCODER=onnx-int8 set, "
        r"or set RAG_QUERY_ENCODER to one it allows \(onnx-fp32, torch\)",
    ),
    "measured too far": (
        lambda pairs, sha: pairs.update(
            {"onnx-int8": _int8_entry(sha, allowed=False, mean_cosine=0.9612)}
        ),
        "mean cosine of only 0.9612 .* RAG_BUILD_ENCODER=onnx-int8",
    ),
    "another export measured": (
        lambda pairs, _: pairs.update({"onnx-int8": _int8_entry("f" * 64)}),
        "measured a different onnx-int8 encoder \\(sha256 ffffffffffff\\)",
    ),
}


@pytest.mark.parametrize("refusal", list(REFUSALS), ids=list(REFUSALS))
def test_a_pairing_the_index_did_not_allow_is_refused(
    index_copy: Path, int8: Embedder, refusal: str
) -> None:
    change, message = REFUSALS[refusal]
    _edit_pairing(index_copy, lambda pairs: change(pairs, int8.identity.encoder_sha256))
    with pytest.raises(IndexMismatchError, match=message) as refused:
        load_index(index_copy, int8.identity, verify_checksums=False)
    assert "rag-index build" in str(refused.value)


def test_a_measured_int8_pairing_is_served(index_copy: Path, int8: Embedder) -> None:
    _edit_pairing(
        index_copy,
        lambda pairs: pairs.update({"onnx-int8": _int8_entry(int8.identity.encoder_sha256)}),
    )
    assert load_index(index_copy, int8.identity, verify_checksums=False).chunks


def test_the_service_refuses_an_unmeasured_query_encoder(
    settings: Settings, index_copy: Path
) -> None:
    assert "onnx-int8" not in read_manifest(index_copy).query_encoders
    int8 = settings.model_copy(update={"index_dir": index_copy, "query_encoder": "onnx-int8"})
    with pytest.raises(IndexMismatchError, match="did not measure the onnx-int8 query encoder"):
        QAService(int8)
    assert "the query encoder onnx-int8 was not measured against it" in index_needs_build(int8)


def test_a_query_encoder_changed_since_it_was_measured_is_measured_again(
    settings: Settings, index_copy: Path, service: QAService
) -> None:
    """A new export recipe or library version makes another file: the index is stale until a
    build measures that file (a rebuild that kept the old measure would be refused forever)."""
    kind = settings.query_encoder
    _edit_pairing(index_copy, lambda pairs: pairs[kind].update(sha256="f" * 64))
    copy = settings.model_copy(update={"index_dir": index_copy})
    changed = f"the query encoder {kind} changed (another recipe or library version) since it"
    assert f"{changed} was measured" in index_needs_build(copy)
    with pytest.raises(IndexMismatchError, match=f"measured a different {kind} encoder"):
        QAService(copy)
    build_index(copy, embedders=[service.embedder])
    assert index_needs_build(copy) == []
    measured = read_manifest(index_copy).query_encoders[kind]
    assert measured.sha256 == service.embedder.identity.encoder_sha256 and measured.allowed


def test_the_build_encoder_always_pairs_with_its_index(
    index_copy: Path, service: QAService
) -> None:
    _edit_pairing(index_copy, lambda pairs: pairs.pop("onnx-fp32"))
    torch_identity = dataclasses.replace(
        service.embedder.identity,
        encoder="torch",
        encoder_sha256=read_manifest(index_copy).embedding.encoder_sha256,
    )
    assert load_index(index_copy, torch_identity, verify_checksums=False).chunks


def test_a_build_for_another_query_encoder_keeps_the_measures_that_still_hold(
    settings: Settings, index_copy: Path, int8: Embedder, service: QAService
) -> None:
    """Switching RAG_QUERY_ENCODER to int8 and back needs one build, not one per switch."""
    with_int8 = settings.model_copy(update={"index_dir": index_copy, "query_encoder": "onnx-int8"})
    build_index(with_int8, embedders=[int8])
    pairs = read_manifest(index_copy).query_encoders
    assert {settings.build_encoder, settings.query_encoder, "onnx-int8"} <= set(pairs)
    assert pairs["onnx-int8"].sha256 == int8.identity.encoder_sha256
    assert pairs[settings.query_encoder].sha256 == service.embedder.identity.encoder_sha256
    back = settings.model_copy(update={"index_dir": index_copy})
    assert index_needs_build(with_int8) == [] and index_needs_build(back) == []
    assert load_index(index_copy, service.embedder.identity, verify_checksums=False).chunks
    assert load_index(index_copy, int8.identity, verify_checksums=False).chunks
