"""The committed support model matches its manifest; a missing or damaged one says how to fix it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.embedding import hash_model_files, resolve_model_path
from indexer.settings import BUNDLED_MODEL
from qa_service.answering.support_model import (
    MANIFEST,
    MODEL_DIR,
    MODEL_FILE,
    CrossEncoder,
    SupportModelError,
    verify,
)


def test_the_committed_model_matches_its_manifest() -> None:
    manifest = verify(MODEL_DIR)
    assert set(manifest["files"]) == {MODEL_FILE, "tokenizer.json"}
    assert manifest["base_model_sha256"] == hash_model_files(resolve_model_path(BUNDLED_MODEL))
    assert 0 < manifest["threshold"] < 1
    assert {"perturbed_rejected", "faithful_accepted"} <= set(manifest["benchmark"])
    assert (MODEL_DIR / MODEL_FILE).stat().st_size < 30_000_000


def test_a_damaged_model_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL_DIR, copy)
    with (copy / MODEL_FILE).open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(SupportModelError, match="rag-train-judge"):
        CrossEncoder(copy)


def test_a_missing_model_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(SupportModelError, match=r"rag-train-judge.*RAG_SUPPORT_JUDGE=lexical"):
        CrossEncoder(tmp_path)
    assert not (tmp_path / MANIFEST).exists()
