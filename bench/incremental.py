"""Time to add one document to an indexed corpus of 2, 200 and 2,000 documents.

    PYTHONPATH=. python bench/incremental.py [--sizes 2 200 2000] [--encoder onnx-fp32]

Each corpus is generated here: documents of a title and four sentences drawn (seeded) from the
shipped corpus, so each is about one chunk. It is built once from nothing (the "full build"
column: what every change cost before incremental builds), then one new document is written
to the folder and `build_index` runs again: unchanged documents keep their chunks and vectors,
and only the new document's chunk and sentences are embedded. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from corpus import DEFAULT_CORPUS_DIR, load_corpus
from indexer.analysis import DEFAULT_ANALYZER
from indexer.building import BuildReport, build_index
from indexer.embedding import Embedder, open_embedder
from indexer.settings import EncoderKind, IndexSettings

SENTENCES_PER_DOCUMENT = 4
STAGES = ("load current version", "chunking", "embedding chunks", "embedding sentences")


def sentence_pool() -> list[str]:
    """The shipped corpus's sentences of eight words or more, as the text analyser splits them."""
    return [
        " ".join(document.text[start:end].split())
        for document in load_corpus(DEFAULT_CORPUS_DIR)
        for section in document.sections
        for start, end in DEFAULT_ANALYZER.sentences(document.text, section.start, section.end)
        if len(document.text[start:end].split()) >= 8
    ]


def write_document(folder: Path, number: int, pool: list[str], rng: random.Random) -> None:
    text = f"# Generated document {number}\n\n" + " ".join(rng.sample(pool, SENTENCES_PER_DOCUMENT))
    (folder / f"generated-{number:05d}.md").write_text(text + "\n", encoding="utf-8")


def measure(size: int, settings: IndexSettings, embedder: Embedder, pool: list[str]) -> str:
    rng = random.Random(size)
    corpus = settings.corpus_dir
    corpus.mkdir(parents=True)
    for number in range(size):
        write_document(corpus, number, pool, rng)
    started = time.perf_counter()
    full = build_index(settings, embedders=[embedder])
    full_seconds = time.perf_counter() - started
    write_document(corpus, size, pool, rng)
    started = time.perf_counter()
    added: BuildReport = build_index(settings, embedders=[embedder])
    add_seconds = time.perf_counter() - started
    stages = " / ".join(f"{added.seconds.get(stage, 0):.2f}" for stage in STAGES)
    return (
        f"| {size:,} | {full.chunks:,} / {full.sentences:,} | {full_seconds:.1f} | "
        f"{add_seconds:.2f} | {added.reused_documents:,} | {added.embedded_texts} | {stages} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 200, 2000])
    parser.add_argument("--encoder", default="onnx-fp32", choices=["torch", "onnx-fp32"])
    args = parser.parse_args()
    encoder: EncoderKind = args.encoder
    pool = sentence_pool()
    print(
        "| documents | chunks / sentences | full build s | add one document s | documents "
        "reused | texts embedded | " + " / ".join(STAGES) + " s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        base = IndexSettings(build_encoder=encoder, query_encoder="onnx-fp32", torch_threads=1)
        embedder = open_embedder(base, encoder, "build")
        for size in args.sizes:
            settings = base.model_copy(
                update={
                    "corpus_dir": Path(folder) / str(size) / "corpus",
                    "index_dir": Path(folder) / str(size) / "index",
                }
            )
            print(measure(size, settings, embedder, pool), flush=True)


if __name__ == "__main__":
    main()
