"""Build time by stage and peak memory of `rag-index build`, per build encoder and batch size.

    python bench/build.py [--encoders torch onnx-fp32 onnx-int8] [--batch-sizes 16 64]
                          [--synthetic 2000] [--corpus DIR] [--skip-shipped]

Corpora: the shipped one (or --corpus) and, with --synthetic N, N documents generated here
from the shipped corpus's sentences (a seeded shuffle, two sections each). Every build runs in
a fresh process, so its peak memory (RSS) is its own, into a temporary folder (the service's
index is left alone); one table per corpus.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from corpus import DEFAULT_CORPUS_DIR, load_corpus
from indexer.building import build_index
from indexer.settings import EncoderKind, IndexSettings

SENTENCES_PER_SECTION = 5


@dataclass(frozen=True)
class BuildRun:
    encoder: EncoderKind
    batch_size: int
    documents: int
    chunks: int
    sentences: int
    seconds: dict[str, float]
    total: float
    peak_mib: float

    @property
    def texts_per_second(self) -> float:
        embedding = self.seconds["embedding chunks"] + self.seconds["embedding sentences"]
        return (self.chunks + self.sentences) / embedding


def synthetic_corpus(folder: Path, documents: int, seed: int = 0) -> Path:
    """`documents` Markdown files of two sections each, sentences drawn from the shipped corpus."""
    pool = [
        line.strip()
        for document in load_corpus(DEFAULT_CORPUS_DIR)
        for line in document.text.splitlines()
        if len(line.split()) >= 8
    ]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(documents):
        sections = [
            f"## Part {part}\n\n" + " ".join(rng.sample(pool, SENTENCES_PER_SECTION))
            for part in (1, 2)
        ]
        text = f"# Synthetic document {number}\n\n" + "\n\n".join(sections) + "\n"
        (folder / f"synthetic-{number:05d}.md").write_text(text, encoding="utf-8")
    return folder


def build_once(corpus: Path, encoder: EncoderKind, batch_size: int) -> BuildRun:
    """One build in this process (meant to be a fresh one): its stages and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        settings = IndexSettings(
            corpus_dir=corpus,
            index_dir=Path(folder) / "index",
            build_encoder=encoder,
            embed_batch_size=batch_size,
        )
        started = time.perf_counter()
        report = build_index(settings)
        total = time.perf_counter() - started
    return BuildRun(
        encoder,
        batch_size,
        report.documents,
        report.chunks,
        report.sentences,
        report.seconds,
        total,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def measure(corpus: Path, encoders: list[EncoderKind], batch_sizes: list[int]) -> list[BuildRun]:
    runs = []
    for encoder in encoders:
        for batch_size in batch_sizes:
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as fresh:
                runs.append(fresh.submit(build_once, corpus, encoder, batch_size).result())
    return runs


def report(label: str, runs: list[BuildRun]) -> None:
    first = runs[0]
    counts = f"{first.documents} documents, {first.chunks} chunks, {first.sentences} sentences"
    print(f"{label}: {counts}")
    stages = list(first.seconds)
    names = [f"{r.encoder} b{r.batch_size}" for r in runs]
    print(f"{'seconds':<26}" + "".join(f"{name:>16}" for name in names))
    for stage in stages:
        print(f"{stage:<26}" + "".join(f"{r.seconds.get(stage, 0.0):>16.2f}" for r in runs))
    print(f"{'total':<26}" + "".join(f"{r.total:>16.2f}" for r in runs))
    print(f"{'texts embedded/s':<26}" + "".join(f"{r.texts_per_second:>16.1f}" for r in runs))
    print(f"{'peak memory (RSS, MiB)':<26}" + "".join(f"{r.peak_mib:>16.0f}" for r in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument(
        "--encoders", nargs="+", default=["torch", "onnx-fp32", "onnx-int8"], type=str
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--synthetic", type=int, default=2000, help="0 for none")
    parser.add_argument("--skip-shipped", action="store_true", help="the synthetic corpus only")
    args = parser.parse_args()
    if not args.skip_shipped:
        report("shipped corpus", measure(args.corpus, args.encoders, args.batch_sizes))
    if args.synthetic:
        with tempfile.TemporaryDirectory() as folder:
            corpus = synthetic_corpus(Path(folder) / "corpus", args.synthetic)
            runs = measure(corpus, args.encoders, args.batch_sizes)
        report(f"synthetic corpus ({args.synthetic} documents)", runs)


if __name__ == "__main__":
    main()
