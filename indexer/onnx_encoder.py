"""The embedding model as an ONNX graph: exported and quantised offline, run with onnxruntime.

Export (once per model and recipe, cached under `settings.encoder_cache_dir`): the transformer
is traced with `torch.onnx` together with mean pooling and L2 normalisation, so one session call
maps word-piece ids to the vectors the PyTorch model gives, then fused by onnxruntime's
transformer optimiser (one Attention op per layer, SkipLayerNormalization, BiasGelu): the same
vectors, a few per cent less time per question. `onnx-int8` smooths the inputs of the attention
and of the feed-forward input projections (SmoothQuant: their outlier channels moved into the
weights) and quantises those weights per output channel with onnxruntime's dynamic
quantisation; the attention and feed-forward output projections get 8-bit weights in blocks of
16 rows, their activations quantised per block too (MatMulNBits). Mean cosine 0.9996 to fp32 on
the eval questions for about 40% less time; it is not the default, as it still moves one or two
questions' passages on an eval corpus (README, "Speed"). The model's own fast tokenizer
(tokenizer.json) feeds the session, so neither PyTorch nor transformers is imported to serve
queries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.artifact import file_sha256
from indexer.embedding import ModelError, ModelIdentity, Vectors, hash_model_files
from indexer.settings import EncoderKind

logger = logging.getLogger(__name__)

OPSET = 17
SMOOTHING = 0.75  # SmoothQuant's α: 0.5, 0.75 and 0.9 gave 0.99938, 0.99958, 0.99948 (dev cosine)
CALIBRATION_SENTENCES = 300
# MatMulNBits' rows per weight block: 16 (its least) and 32 gave 0.99959 and 0.99957 mean dev
# cosine, 64 0.99955 and twice the eval questions moved across a rank; 32 and 64 save 0.1-0.4 ms
BLOCK = 16
# Bump when the export below changes: it names the cache folder, so old exports are not reused.
RECIPE = (
    "trace opset 17, eager attention, mean pooling + L2 in graph, fused by onnxruntime's "
    f"transformer optimiser (bert, opt_level 0); int8: SmoothQuant alpha {SMOOTHING} on the "
    "inputs of Attention and the feed-forward input MatMuls, calibrated on "
    f"{CALIBRATION_SENTENCES} shipped sentences, then their weights per channel, QInt8, "
    "constant B only; attention and feed-forward output projections MatMulNBits, 8 bits, "
    f"block {BLOCK}, symmetric, accuracy level 4"
)
TOKENS_RECIPE = "last hidden state; int8: every MatMul, per channel, QInt8"
_EXPORT_VERSIONS = ("torch", "transformers", "onnx", "onnxruntime")


def export_encoder(model_path: Path, encoder: EncoderKind, cache_dir: Path) -> Path:
    """The ONNX file of `encoder` for the model at `model_path`, exported unless cached.

    Exports are deterministic: the same model, recipe and library versions give the same bytes,
    and the cache folder is named by all of them.
    """
    if encoder == "torch":
        raise ValueError("the PyTorch encoder has no ONNX file")
    folder = cache_dir / _cache_key(model_path)
    fp32 = folder / "onnx-fp32.onnx"
    if not fp32.is_file():
        _write_atomically(fp32, lambda target: _export_fp32(model_path, target))
    if encoder == "onnx-fp32":
        return fp32
    int8 = folder / "onnx-int8.onnx"
    if not int8.is_file():
        _write_atomically(int8, lambda target: _quantise_smoothed(model_path, fp32, target))
    return int8


def export_token_encoder(model_path: Path, cache_dir: Path) -> Path:
    """The int8 ONNX file of the model's token states (the last hidden layer, no pooling),
    exported unless cached: what the support judge reads words in context with. Quantised like
    `TOKENS_RECIPE` says; deterministic, like `export_encoder`."""
    target = cache_dir / _cache_key(model_path, TOKENS_RECIPE) / "tokens-int8.onnx"
    if not target.is_file():
        _write_atomically(target, lambda staging: _export_tokens(model_path, staging))
    return target


def onnx_session(onnx_file: Path, threads: int = 1) -> Any:
    """An onnxruntime CPU session on `threads` threads, logging errors only (its graph-fusion
    notices are noise); onnxruntime's own untyped errors for a bad file pass through."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """An ONNX export of the model in an onnxruntime session with a fixed number of threads."""

    def __init__(
        self,
        name: str,
        model_path: Path,
        onnx_file: Path,
        encoder: EncoderKind,
        threads: int,
        batch_size: int,
    ) -> None:
        from tokenizers import Tokenizer

        max_seq_length = _max_seq_length(model_path)
        try:
            self._session = onnx_session(onnx_file, threads)
        except Exception as error:  # onnxruntime raises its own untyped errors for a bad file
            raise ModelError(
                f"cannot load the ONNX encoder {onnx_file} ({error}): delete it and run "
                "`rag-index build` to export it again"
            ) from error
        tokenizer_file = str(model_path / "tokenizer.json")
        self._counter = Tokenizer.from_file(tokenizer_file)  # every word piece, for chunking
        self._counter.no_padding()
        self._counter.no_truncation()
        self._tokenizer = Tokenizer.from_file(tokenizer_file)  # what the model reads
        self._tokenizer.no_padding()  # each batch is padded to its own longest row
        self._tokenizer.enable_truncation(max_seq_length)  # [CLS], the first pieces, [SEP]
        # int8 quantises each call's activations with one scale for the whole batch, so a
        # text's vector would depend on its neighbours: that encoder embeds one text per call
        self._batch_size = 1 if encoder == "onnx-int8" else batch_size
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        dimension = self._session.get_outputs()[0].shape[1]
        self._identity = ModelIdentity(
            name=name,
            path=str(model_path),
            files_sha256=hash_model_files(model_path),
            dimension=int(dimension),
            max_seq_length=max_seq_length,
            encoder=encoder,
            encoder_sha256=file_sha256(onnx_file),
        )

    @property
    def identity(self) -> ModelIdentity:
        return self._identity

    def token_count(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def fits(self, text: str) -> bool:
        return self.token_count(text) <= self._identity.max_seq_length

    def embed_documents(self, texts: list[str]) -> Vectors:
        """Batches of similar length, so little of each call is padding; rows in input order."""
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        vectors = np.zeros((len(texts), self._identity.dimension), dtype=np.float32)
        for begin in range(0, len(order), self._batch_size):
            rows = order[begin : begin + self._batch_size]
            vectors[rows] = self._run([ids[i] for i in rows])
        return vectors

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])

    def _run(self, rows: list[list[int]]) -> npt.NDArray[np.float32]:
        length = max(len(row) for row in rows)
        input_ids = np.full((len(rows), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.int64)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        (output,) = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return np.asarray(output, dtype=np.float32)


def _cache_key(model_path: Path, recipe_text: str = RECIPE) -> str:
    versions = {name: metadata.version(name) for name in _EXPORT_VERSIONS}
    recipe = json.dumps({"recipe": recipe_text, "versions": versions}, sort_keys=True)
    model = hash_model_files(model_path)
    return f"{model[:16]}-{hashlib.sha256(recipe.encode()).hexdigest()[:16]}"


def _max_seq_length(model_path: Path) -> int:
    """The input length sentence-transformers uses; only mean-pooled models export here."""
    try:
        modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
        pooling = json.loads((model_path / pooling_dir / "config.json").read_text("utf-8"))
        config = json.loads((model_path / "sentence_bert_config.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, StopIteration) as error:
        raise ModelError(
            f"{model_path} is not a sentence-transformers model folder ({error!r}): set "
            "RAG_BUILD_ENCODER=torch and RAG_QUERY_ENCODER=torch"
        ) from error
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ModelError(
            f"{model_path} pools with {sorted(modes)}; the ONNX export supports mean pooling "
            "only: set RAG_BUILD_ENCODER=torch and RAG_QUERY_ENCODER=torch"
        )
    return int(config["max_seq_length"])


def _export_fp32(model_path: Path, target: Path, pooled: bool = True) -> None:
    """The model as one ONNX graph: sentence embeddings (mean over the real tokens, then unit
    length), fused (`_fuse`); or with `pooled=False` the last layer's token states, as traced."""
    if not pooled:
        _trace(model_path, target, pooled=False)
        return
    _max_seq_length(model_path)  # refuse a model whose pooling the graph would get wrong
    with tempfile.TemporaryDirectory(dir=target.parent) as staging:
        traced = Path(staging) / "traced.onnx"
        _trace(model_path, traced, pooled=True)
        _fuse(traced, target, model_path)


def _fuse(traced: Path, target: Path, model_path: Path) -> None:
    """onnxruntime's transformer optimiser, offline: each layer's attention becomes one
    Attention op, the embeddings one EmbedLayerNormalization, residual adds with LayerNorm
    SkipLayerNormalization, bias and GELU BiasGelu (the pooling after them is left as traced).
    The same vectors (cosine 1.0000 to the traced graph), fewer and larger kernels; a model the
    patterns do not match is saved unfused, which is still correct."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((model_path / "config.json").read_text(encoding="utf-8"))
    fused = optimize_model(
        str(traced),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=0,  # the optimiser's own fusions only; the session applies its own at load
    )
    logger.info("fused ONNX operators: %s", fused.get_fused_operator_statistics())
    fused.save_model_to_file(str(target))


def _trace(model_path: Path, target: Path, pooled: bool) -> None:
    """`torch.onnx` traces the model; with `pooled`, its attention in the eager form, whose
    pattern the optimiser fuses (PyTorch's SDPA form traces to a mask it does not match)."""
    import torch
    from transformers import AutoModel

    class Graph(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            tokens: torch.Tensor = self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            if not pooled:
                return tokens
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    output = "embeddings" if pooled else "states"
    rows = {0: "batch", 1: "tokens"}
    logger.info("exporting %s to ONNX (once; cached in %s)", model_path, target.parent)
    attention = {"attn_implementation": "eager"} if pooled else {}
    model = Graph(AutoModel.from_pretrained(str(model_path), **attention)).eval()
    example = torch.ones((2, 8), dtype=torch.int64)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer warns about shape checks it folds; benign
        torch.onnx.export(
            model,
            (example, torch.ones_like(example)),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=[output],
            dynamic_axes={
                "input_ids": rows,
                "attention_mask": rows,
                output: rows if not pooled else {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _export_tokens(model_path: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as staging:
        fp32 = Path(staging) / "tokens-fp32.onnx"
        _export_fp32(model_path, fp32, pooled=False)
        _quantise(fp32, target, every_matmul=True)


def _quantise(fp32: Path, target: Path, every_matmul: bool = False) -> None:
    """int8 weights, per channel, and each call's activations with one scale per tensor: by
    default (`RECIPE`, the fused and smoothed graph) the fused attention's query/key/value
    projection and the feed-forward input projections, the other MatMuls left to
    `_quantise_blocks`; with `every_matmul` (`TOKENS_RECIPE`, the traced graph), all MatMuls."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    selective: dict[str, Any] = {
        "op_types_to_quantize": ["Attention", "MatMul"],
        "nodes_to_exclude": [
            node.name
            for node in graph.node
            if node.op_type == "MatMul" and not _is_ffn_input(node.name)
        ],
        "extra_options": {
            "MatMulConstBOnly": True,  # weights only
            # the fused ops are onnxruntime's own, whose output types ONNX shape inference
            # cannot infer: they are fp32
            "DefaultTensorType": onnx.TensorProto.FLOAT,
        },
    }
    root = logging.getLogger()
    root.addFilter(_no_preprocessing_advice)  # the graph is already optimised by the export
    try:
        quantize_dynamic(
            fp32,
            target,
            per_channel=True,
            weight_type=QuantType.QInt8,
            **({"op_types_to_quantize": ["MatMul"]} if every_matmul else selective),
        )
    finally:
        root.removeFilter(_no_preprocessing_advice)


def _no_preprocessing_advice(record: logging.LogRecord) -> bool:
    """onnxruntime's quantiser logs, on the root logger, advice to pre-process the graph."""
    return "pre-processing before quantization" not in record.getMessage()


def _quantise_blocks(source: Path, target: Path) -> None:
    """The MatMuls of a constant weight left in fp32 (`RECIPE`: each layer's attention and
    feed-forward output projections) as onnxruntime's MatMulNBits: 8-bit weights, symmetric, one
    scale per `BLOCK` input rows of each output column; accuracy level 4 quantises the
    activations to int8 as well, one scale per block of each row, so an outlier elsewhere in the
    tensor costs them nothing (the GELU outputs the feed-forward output projection reads lose
    too much with one scale per tensor: cosine 0.9966 smoothed). Needs the onnx-ir package."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantiser = MatMulNBitsQuantizer(
        onnx.load(str(source)), bits=8, block_size=BLOCK, is_symmetric=True, accuracy_level=4
    )
    chatter = logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer")
    level = chatter.level
    chatter.setLevel(logging.WARNING)  # a line per node it quantises or skips, at INFO
    try:
        quantiser.process()
    finally:
        chatter.setLevel(level)
    quantiser.model.save_model_to_file(str(target), use_external_data_format=False)


def _quantise_smoothed(model_path: Path, fp32: Path, target: Path) -> None:
    """`RECIPE`'s int8: the fused graph smoothed (`_smooth`), its attention and feed-forward
    inputs quantised per tensor (`_quantise`), the output projections per block
    (`_quantise_blocks`)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as staging:
        smoothed = Path(staging) / "smoothed.onnx"
        _smooth(model_path, fp32, smoothed)
        dynamic = Path(staging) / "dynamic.onnx"
        _quantise(smoothed, dynamic)
        _quantise_blocks(dynamic, target)


def _smooth(model_path: Path, fp32: Path, target: Path) -> None:
    """SmoothQuant (Xiao et al., 2023) on the projections int8 reads, the same vectors in fp32.

    A few channels of the LayerNorm outputs that the attention and feed-forward input
    projections read carry outliers (up to 28 before a feed-forward, against a median channel
    maximum of 2), and dynamic quantisation gives each activation one scale per tensor, so the
    other channels keep few levels. Each input channel j is divided by
    s_j = max|x_j|^α / max|w_j|^(1-α) (a Mul in front of the op) and row j of the weight
    multiplied by it: the product is unchanged, the activations flatter, the weights (per
    output channel) little worse. max|x_j| is measured on `_calibration_texts`; α is
    `SMOOTHING`.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(fp32))
    graph = model.graph
    targets = [n for n in graph.node if n.op_type == "Attention" or _is_ffn_input(n.name)]
    ranges = _activation_ranges(model_path, fp32, [node.input[0] for node in targets])
    weights = {initializer.name: initializer for initializer in graph.initializer}
    for node in targets:
        weight = weights[node.input[1]]
        values = numpy_helper.to_array(weight)
        largest = np.maximum(np.abs(values).max(axis=1), 1e-5)
        scale = ranges[node.input[0]] ** SMOOTHING / largest ** (1 - SMOOTHING)
        scale = scale.clip(1e-2, 1e2).astype(np.float32)
        weight.CopyFrom(numpy_helper.from_array(values * scale[:, None], weight.name))
        inverse, smoothed = f"{node.name}/smoothing", f"{node.name}/smoothed"
        graph.initializer.append(numpy_helper.from_array(1 / scale, inverse))
        mul = helper.make_node("Mul", [node.input[0], inverse], [smoothed], f"{node.name}/Smooth")
        graph.node.insert(list(graph.node).index(node), mul)
        node.input[0] = smoothed
    onnx.save(model, str(target))


def _activation_ranges(
    model_path: Path, fp32: Path, names: list[str]
) -> dict[str, npt.NDArray[np.float32]]:
    """Each channel's largest |value| in the tensors `names` of the graph at `fp32`, over the
    calibration sentences, each run alone (no padding)."""
    import onnx
    from onnx import helper
    from tokenizers import Tokenizer

    probe = onnx.load(str(fp32))
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(_max_seq_length(model_path))
    ranges: dict[str, npt.NDArray[np.float32]] = {}
    with tempfile.TemporaryDirectory(dir=fp32.parent) as staging:
        onnx.save(probe, str(Path(staging) / "probe.onnx"))
        session = onnx_session(Path(staging) / "probe.onnx")
        for text in _calibration_texts():
            ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            for name, value in zip(names, session.run(names, feed), strict=True):
                largest = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
                ranges[name] = np.maximum(ranges[name], largest) if name in ranges else largest
    return ranges


def _calibration_texts() -> list[str]:
    """`CALIBRATION_SENTENCES` sentences spread evenly over the shipped corpus: fixed text, so
    the export stays deterministic and does not depend on the corpus served (which channels
    carry the outliers is the model's doing, not the text's; the eval's other corpora check
    that it holds on text it was not measured on)."""
    from corpus import load_corpus
    from indexer.analysis import DEFAULT_ANALYZER

    texts = [
        document.text[start:end]
        for document in load_corpus()
        for start, end in DEFAULT_ANALYZER.sentences(document.text, 0, len(document.text))
    ]
    return texts[:: max(1, len(texts) // CALIBRATION_SENTENCES)][:CALIBRATION_SENTENCES]


def _is_ffn_input(node: str) -> bool:
    """A feed-forward input projection of a BERT layer, as torch.onnx names it."""
    return node.endswith("/intermediate/dense/MatMul")


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write with `write(path)` to a temporary sibling, then rename: no half-written cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        write(Path(staging))
        os.chmod(staging, 0o644)  # mkstemp's 0600 would hide the cache from other users
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
