"""(claim, quote) pairs -> support probabilities, from the fine-tuned cross-encoder in ONNX.

The model is trained by `rag-train-judge` (the `training` package) and committed beside this
module in `support_judge/`: model.onnx (int8), tokenizer.json and manifest.json, which records how
it was made and the sha256 of each file. Loading checks those hashes, so a damaged or swapped
model is refused rather than silently trusted. One inference thread: the service runs one per
worker process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.onnx_encoder import onnx_session

MODEL_DIR = Path(__file__).resolve().parent / "support_judge"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST = "manifest.json"
MAX_LENGTH = 128  # word pieces of claim + quote; the longer is cut first, as in training
BUILD_COMMAND = "rag-train-judge (or: python -m training)"


class SupportModelError(Exception):
    """The support judge's model is missing or does not match its manifest."""


def read_manifest(folder: Path = MODEL_DIR) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise SupportModelError(
            f"the support judge's model is missing ({path}): build it with {BUILD_COMMAND}, "
            "or set RAG_SUPPORT_JUDGE=lexical to use the word-overlap judge"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def verify(folder: Path = MODEL_DIR) -> dict[str, Any]:
    """The manifest, once every file it lists is present with the recorded hash."""
    manifest = read_manifest(folder)
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise SupportModelError(
                f"{path} is missing or does not match {folder / MANIFEST}: restore it from git "
                f"(git checkout -- {folder}) or rebuild it with {BUILD_COMMAND}"
            )
    return manifest


class CrossEncoder:
    """The ONNX cross-encoder: a batch of pairs in, one probability per pair out."""

    def __init__(self, folder: Path = MODEL_DIR) -> None:
        from tokenizers import Tokenizer

        self.manifest = verify(folder)
        self.threshold = float(self.manifest["threshold"])
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
        self._tokenizer.enable_padding()
        self._session = onnx_session(folder / MODEL_FILE)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        encodings = self._tokenizer.encode_batch(list(pairs))
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (logits,) = self._session.run(["logits"], feeds)
        return [float(p) for p in 1.0 / (1.0 + np.exp(-np.asarray(logits).reshape(-1)))]
