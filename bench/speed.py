"""Every speed figure in one run, side by side: floors, /ask in process and over HTTP, builds.

    python bench/speed.py [--questions 200] [--requests 320] [--synthetic 2000]
                          [--batch-sizes 16 64] [--skip-build]

Runs bench/query.py (the torch, ONNX fp32 and ONNX int8 floors and /ask in process, all in
one interleaved loop), bench/http_load.py (/ask and embed-only over HTTP with the torch and
the configured query encoder) and bench/build.py (each build encoder on the shipped and a
synthetic corpus), prints each one's table, then the summary the README's Speed section shows.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import build
import http_load
import query

from corpus import DEFAULT_CORPUS_DIR
from eval.metrics.latency import percentile
from indexer.settings import EncoderKind, IndexSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--synthetic", type=int, default=2000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    encoder = IndexSettings().query_encoder
    encoders = list(dict.fromkeys(["torch", encoder]))

    in_process = query.measure(args.questions)
    query.report(in_process)
    print()
    rows = http_load.measure(args.requests, [1, 8, 32], encoders)
    http_load.report(rows, args.requests)
    if not args.skip_build:
        kinds: list[EncoderKind] = ["torch", "onnx-fp32", "onnx-int8"]
        print()
        build.report("shipped corpus", build.measure(DEFAULT_CORPUS_DIR, kinds, args.batch_sizes))
        with tempfile.TemporaryDirectory() as folder:
            corpus = build.synthetic_corpus(Path(folder) / "corpus", args.synthetic)
            runs = build.measure(corpus, kinds, args.batch_sizes)
        print()
        build.report(f"synthetic corpus ({args.synthetic} documents)", runs)

    print(f"\nsummary ({encoder} query encoder; p50 ms)")
    for kind, values in in_process.floors_ms.items():
        print(f"  {f'{kind} floor (embed only)':<34}{percentile(values, 50):>8.2f}")
    ask = percentile(in_process.ask_ms, 50)
    print(f"  {'/ask in process':<34}{ask:>8.2f}")
    print(f"  {'/ask in process : torch floor':<34}{in_process.ratio('torch'):>8.2f}x")
    print(f"  {f'/ask in process : {encoder} floor':<34}{in_process.ratio(encoder):>8.2f}x")
    by = {(r.encoder, r.concurrency, r.endpoint): r for r in rows}
    for kind in encoders:
        for level in (1, 8, 32):
            ask_row, floor = by[(kind, level, "/ask")], by[(kind, level, "embed only")]
            print(
                f"  {f'HTTP {kind} c={level} /ask':<34}{ask_row.p50:>8.1f} "
                f"(p99 {ask_row.p99:.1f}, {ask_row.rps:.1f} req/s; embed only "
                f"{floor.p50:.1f}, p99 {floor.p99:.1f}, {floor.rps:.1f} req/s)"
            )


if __name__ == "__main__":
    main()
