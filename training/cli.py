"""`rag-train-judge`: pairs from the repository's text -> fine-tuned, exported model + manifest.

Deterministic: the same repository gives the same pairs (their hash is in the manifest) and, on
one thread with fixed seeds, the same weights. The benchmark figures of the exported model go
into its manifest too.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from corpus import DEFAULT_CORPUS_DIR
from eval.support_benchmark import (
    BENCHMARK,
    HELDOUT,
    format_table,
    load_benchmark,
    score_judge,
)
from qa_service.answering.judging import ModelJudge
from qa_service.answering.support_model import MODEL_DIR, read_manifest
from training.fit import TrainParams, split, train, write_manifest
from training.pairs import (
    PROSE,
    REPO,
    benchmark_quotes,
    corpus_sentences,
    make_pairs,
    prose_sentences,
)

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def run(
    out_dir: Annotated[Path, typer.Option(help="Where the model and manifest go")] = MODEL_DIR,
    seed: Annotated[int, typer.Option(help="Seed of the pairs and of training")] = 13,
    score_only: Annotated[
        bool, typer.Option("--score-only", help="Keep the model; rescore it on the benchmark")
    ] = False,
) -> None:
    """Train the support judge from the repository's text and export it for the service."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("training").setLevel(logging.INFO)
    groups = corpus_sentences(DEFAULT_CORPUS_DIR) + prose_sentences(REPO / f for f in PROSE)
    excluded = benchmark_quotes(BENCHMARK) + benchmark_quotes(HELDOUT)
    pairs = make_pairs(groups, excluded, seed)
    params = TrainParams(seed=seed)
    if not score_only:
        typer.echo(f"{len(pairs)} pairs generated")
        trained = train(pairs, out_dir, params)
        typer.echo(f"trained in {trained['train_seconds']} s; model in {out_dir}")
    _, dev = split(pairs, params)
    manifest = read_manifest(out_dir)
    judge = ModelJudge(out_dir)
    verdicts = judge.judge([(pair.claim, pair.quote) for pair in dev])
    right = sum(v.supported == (pair.label == 1) for pair, v in zip(dev, verdicts, strict=True))
    report = score_judge(judge, load_benchmark())
    manifest["dev_accuracy"] = round(right / len(dev), 4)  # generated pairs kept out of training
    manifest["benchmark"] = report.figures()
    manifest["heldout"] = score_judge(judge, load_benchmark(HELDOUT)).figures()
    write_manifest(out_dir, manifest)
    typer.echo(f"dev pairs (generated, held out from training): {right / len(dev):.1%} right")
    typer.echo(format_table({"model": report}))


def main() -> None:
    app()
