"""The eval corpora: each a folder of documents and the gold file of questions written over it.

`shipped` is the service's own corpus (`corpus/documents`) with `eval/data/eval_set.jsonl`; every
other corpus is a folder `eval/data/corpora/<name>/documents/` with its gold file
`eval/data/<name>.jsonl`. Adding a corpus means adding those two; the gate reads its thresholds
from `[<name>.min]` and `[<name>.max]` in eval/gate.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpus import DEFAULT_CORPUS_DIR
from eval.dataset import EVAL_SET
from eval.errors import GoldDataError

DATA_DIR = Path(__file__).parent / "data"
CORPORA_DIR = DATA_DIR / "corpora"
SHIPPED = "shipped"


@dataclass(frozen=True)
class EvalCorpus:
    name: str
    documents: Path  # the corpus folder the gold quotes point into
    gold: Path  # the gold eval set (JSONL)


def corpus_folder(name: str) -> Path:
    """Where a corpus other than `shipped` keeps its documents."""
    return CORPORA_DIR / name / "documents"


def gold_file(name: str) -> Path:
    return DATA_DIR / f"{name}.jsonl"


def eval_corpora() -> dict[str, EvalCorpus]:
    """Every eval corpus by name: `shipped` first, then the folders of eval/data/corpora."""
    corpora = {SHIPPED: EvalCorpus(SHIPPED, DEFAULT_CORPUS_DIR, EVAL_SET)}
    if CORPORA_DIR.is_dir():
        for folder in sorted(p for p in CORPORA_DIR.iterdir() if (p / "documents").is_dir()):
            corpora[folder.name] = EvalCorpus(
                folder.name, corpus_folder(folder.name), gold_file(folder.name)
            )
    return corpora


def get_corpus(name: str) -> EvalCorpus:
    corpora = eval_corpora()
    if name not in corpora:
        raise GoldDataError(
            f"no eval corpus named {name!r}: pick one of {', '.join(corpora)}, or add "
            f"{corpus_folder(name)} and {gold_file(name)}"
        )
    return corpora[name]
