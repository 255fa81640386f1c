"""The ONNX encoders give PyTorch's vectors and token counts, and their export is cached."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from indexer.artifact import file_sha256
from indexer.embedding import Embedder, ModelError, open_embedder, resolve_model_path
from indexer.onnx_encoder import export_encoder
from indexer.settings import EncoderKind
from qa_service.pipeline import QAService
from qa_service.settings import Settings

LONG = " ".join(["The Baghdad Pact was signed in 1955 by Iraq and Turkey."] * 40)


@pytest.fixture(scope="module")
def torch_embedder(settings: Settings) -> Embedder:
    return open_embedder(settings, "torch", "build")


@pytest.fixture(scope="module")
def sentences(service: QAService) -> list[str]:
    """Real sentences of the corpus, every 17th, with one longer than the model reads."""
    return [s.text for s in service.index.sentences[::17]] + [LONG]


# int8 measured 0.9995 / 0.9991 on the index's sentences (0.9970 / 0.9947 unsmoothed, no blocks)
@pytest.mark.parametrize(
    ("encoder", "mean", "least"), [("onnx-fp32", 0.99999, 0.9999), ("onnx-int8", 0.999, 0.998)]
)
def test_onnx_vectors_match_torch_on_real_sentences(
    settings: Settings,
    torch_embedder: Embedder,
    sentences: list[str],
    encoder: EncoderKind,
    mean: float,
    least: float,
) -> None:
    onnx = open_embedder(settings, encoder, "query")
    expected = torch_embedder.embed_documents(sentences)
    vectors = onnx.embed_documents(sentences)
    assert vectors.shape == expected.shape == (len(sentences), 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(vectors * expected, axis=1)
    assert cosines.mean() >= mean
    assert cosines.min() >= least
    alone = onnx.embed_query(sentences[3])  # one call of one: no padding from a batch
    assert np.allclose(alone[0], vectors[3], atol=1e-4)


def test_onnx_counts_word_pieces_as_torch_does(
    settings: Settings, torch_embedder: Embedder, sentences: list[str]
) -> None:
    onnx = open_embedder(settings, "onnx-int8", "query")
    assert [onnx.token_count(s) for s in sentences] == [
        torch_embedder.token_count(s) for s in sentences
    ]
    assert not onnx.fits(LONG) and not torch_embedder.fits(LONG)
    assert onnx.identity.max_seq_length == torch_embedder.identity.max_seq_length == 256
    assert onnx.identity.files_sha256 == torch_embedder.identity.files_sha256
    assert onnx.identity.encoder_sha256 != torch_embedder.identity.encoder_sha256


def test_the_export_is_cached_and_deterministic(settings: Settings, tmp_path: Path) -> None:
    model = resolve_model_path(settings.embedding_model)
    first = export_encoder(model, "onnx-int8", tmp_path / "a")
    written = {p.name: p.stat().st_mtime_ns for p in first.parent.iterdir()}
    assert sorted(written) == ["onnx-fp32.onnx", "onnx-int8.onnx"]  # no staging left behind
    assert export_encoder(model, "onnx-int8", tmp_path / "a") == first
    assert {p.name: p.stat().st_mtime_ns for p in first.parent.iterdir()} == written  # reused
    again = export_encoder(model, "onnx-int8", tmp_path / "b")
    assert again.relative_to(tmp_path / "b") == first.relative_to(tmp_path / "a")
    for name in written:
        assert file_sha256(again.parent / name) == file_sha256(first.parent / name)


def test_the_export_is_fused_and_int8_quantises_the_output_projections_by_block(
    settings: Settings,
) -> None:
    """The optimiser's fusions matched (a new tracer or transformers version that breaks the
    pattern would silently leave the slower graph), and int8 quantised what `RECIPE` says."""
    model = resolve_model_path(settings.embedding_model)
    layers = json.loads((model / "config.json").read_text())["num_hidden_layers"]

    def graph(encoder: EncoderKind) -> onnx.GraphProto:
        return onnx.load(str(export_encoder(model, encoder, settings.encoder_cache_dir))).graph

    def ops(encoder: EncoderKind) -> collections.Counter[str]:
        nodes = graph(encoder).node
        counts = collections.Counter(node.op_type for node in nodes)
        counts["smoothed"] = sum(node.name.endswith("/Smooth") for node in nodes)
        return counts

    fp32 = ops("onnx-fp32")
    assert fp32["Attention"] == layers and fp32["EmbedLayerNormalization"] == 1
    assert fp32["SkipLayerNormalization"] == 2 * layers and fp32["BiasGelu"] == layers
    assert fp32["Softmax"] == 0 and fp32["LayerNormalization"] == 0 and fp32["smoothed"] == 0
    int8 = ops("onnx-int8")
    assert int8["smoothed"] == 2 * layers  # the inputs of the attention and feed-forward
    assert int8["QAttention"] == layers and int8["Attention"] == 0
    # one scale per tensor: each layer's feed-forward input projection
    assert int8["DynamicQuantizeMatMul"] + int8["MatMulInteger"] == layers
    # by block: each layer's attention and feed-forward output projections; nothing left fp32
    assert int8["MatMulNBits"] == 2 * layers and int8["MatMul"] == 0
    for node in graph("onnx-int8").node:
        if node.op_type == "MatMulNBits":
            attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            assert (attributes["bits"], attributes["block_size"]) == (8, 16)
            assert attributes["accuracy_level"] == 4  # int8 activations, per block
            assert len(node.input) == 3  # symmetric: weights, scales, no zero points


def test_a_model_the_graph_cannot_pool_is_refused(tmp_path: Path, settings: Settings) -> None:
    model = resolve_model_path(settings.embedding_model)
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("modules.json", "sentence_bert_config.json", "tokenizer.json"):
        (copy / name).write_bytes((model / name).read_bytes())
    (copy / "1_Pooling").mkdir()
    (copy / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    with pytest.raises(ModelError, match="mean pooling only: set RAG_BUILD_ENCODER=torch"):
        export_encoder(copy, "onnx-fp32", tmp_path / "cache")
