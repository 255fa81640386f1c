"""Labelled pairs -> a fine-tuned MiniLM cross-encoder -> an int8 ONNX model with its manifest.

The bundled all-MiniLM-L6-v2 gets a one-logit head and reads "claim [SEP] quote"; its embeddings
and lower layers stay frozen (the training runs on a shared 2-core CPU), the upper layers and the
head learn from the pairs. One thread and fixed seeds make a rerun give the same weights. The
export is what the service loads (`qa_service.answering.support_model`): model.onnx, the
tokenizer and manifest.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from indexer.embedding import hash_model_files, resolve_model_path
from indexer.settings import BUNDLED_MODEL
from qa_service.answering.support_model import MANIFEST, MAX_LENGTH, MODEL_FILE, TOKENIZER_FILE
from training.pairs import Pair, pairs_hash

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainParams:
    seed: int = 13
    pairs: int = 2400  # training pairs sampled from everything generated, labels balanced
    dev_pairs: int = (
        400  # held out from training; the manifest records the judge's accuracy on them
    )
    batch_size: int = 16
    learning_rate: float = 1.5e-4
    warmup_share: float = 0.1
    frozen_layers: int = 3  # of 6: the embeddings and these layers are not trained
    max_length: int = MAX_LENGTH  # word pieces of claim + quote
    threads: int = 1


def split(pairs: list[Pair], params: TrainParams) -> tuple[list[Pair], list[Pair]]:
    """A label-balanced training sample and a dev sample, disjoint, chosen by the seed."""
    rng = random.Random(params.seed)
    by_label = {label: [p for p in pairs if p.label == label] for label in (0, 1)}
    train: list[Pair] = []
    dev: list[Pair] = []
    for group in by_label.values():
        rng.shuffle(group)
        dev += group[: params.dev_pairs // 2]
        train += group[params.dev_pairs // 2 : params.dev_pairs // 2 + params.pairs // 2]
    rng.shuffle(train)
    return train, dev


def train(pairs: list[Pair], out_dir: Path, params: TrainParams) -> dict[str, Any]:
    """Fine-tune, export to int8 ONNX in `out_dir`, and return the manifest written beside it."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    started = time.perf_counter()
    random.seed(params.seed)
    torch.manual_seed(params.seed)
    torch.set_num_threads(params.threads)
    torch.use_deterministic_algorithms(True)
    base = resolve_model_path(BUNDLED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    frozen = [model.bert.embeddings, *model.bert.encoder.layer[: params.frozen_layers]]
    for module in frozen:
        for weight in module.parameters():
            weight.requires_grad = False
    trainable = [w for w in model.parameters() if w.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=params.learning_rate)
    train_pairs, _ = split(pairs, params)
    steps = -(-len(train_pairs) // params.batch_size)
    warmup = max(1, int(steps * params.warmup_share))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    model.train()
    recent: list[float] = []
    for step in range(steps):
        batch = train_pairs[step * params.batch_size : (step + 1) * params.batch_size]
        encoded = tokenizer(
            [p.claim for p in batch],
            [p.quote for p in batch],
            truncation="longest_first",
            max_length=params.max_length,
            padding=True,
            return_tensors="pt",
        )
        logits = model(**encoded).logits.squeeze(-1)
        labels = torch.tensor([float(p.label) for p in batch])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()  # type: ignore[no-untyped-call]  # torch's stubs leave it untyped
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        recent = [*recent[-9:], loss.item()]
        if step % 10 == 9:
            logger.info("step %d/%d loss %.4f", step + 1, steps, sum(recent) / len(recent))
    train_seconds = time.perf_counter() - started
    model.eval()
    staging = Path(tempfile.mkdtemp(prefix="support-judge-"))
    try:
        _export(model, tokenizer, staging, params)
        manifest = {
            "base_model": BUNDLED_MODEL,
            "base_model_sha256": hash_model_files(base),
            "training_data_sha256": pairs_hash(pairs),
            "training_pairs": len(train_pairs),
            "params": asdict(params),
            "code_version": _code_version(),
            "torch": torch.__version__,
            "train_seconds": round(train_seconds, 1),
            "threshold": 0.5,  # the classes are balanced in training: the logit's sign
            "files": {name: _sha256(staging / name) for name in (MODEL_FILE, TOKENIZER_FILE)},
        }
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in (MODEL_FILE, TOKENIZER_FILE):
            shutil.copyfile(staging / name, out_dir / name)
        write_manifest(out_dir, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _export(model: Any, tokenizer: Any, folder: Path, params: TrainParams) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    sample = tokenizer(["a claim"], ["a quote"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    full = folder / "full.onnx"
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    torch.onnx.export(
        model,
        tuple(sample[name] for name in names),
        str(full),
        input_names=names,
        output_names=["logits"],
        dynamic_axes={**axes, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        full,
        folder / MODEL_FILE,
        per_channel=True,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gather"],
    )
    full.unlink()
    tokenizer.backend_tokenizer.save(str(folder / TOKENIZER_FILE))


def _code_version() -> str:
    """The commit the training code came from, with '+dirty' when it had local changes."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "training"],
            cwd=here.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
