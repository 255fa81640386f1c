"""Exact (flat) vs HNSW search as the corpus grows: where the index type should switch.

    python bench/dense_index.py [--sizes 10000 50000 100000 200000]

Vectors are the real index's chunk and sentence vectors, mixed with noise and renormalised, so
their neighbourhoods look like real embeddings. For each size it prints the build time, the
single-query latency (p50, one thread and the FAISS default) and HNSW's recall@10 against
exact search. The settings' flat_index_max_chunks is the size where HNSW starts to win.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss
import numpy as np

from indexer.artifact import load_index
from indexer.dense import DenseParams, build_dense_index
from indexer.settings import IndexSettings

QUERIES = 200


def synthetic(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n new unit vectors: a real vector, half of another, and a little noise."""
    first = base[rng.integers(0, len(base), n)]
    second = base[rng.integers(0, len(base), n)]
    mixed = first + 0.5 * second + rng.normal(0, 0.02, first.shape)
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def latency_ms(index: faiss.Index, queries: np.ndarray) -> float:
    times = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], 10)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000, 200_000])
    args = parser.parse_args()
    settings = IndexSettings()
    loaded = load_index(settings.index_dir, verify_checksums=False)
    base = np.vstack(
        [loaded.dense.reconstruct_n(0, loaded.dense.ntotal), np.asarray(loaded.sentence_vectors)]
    )
    rng = np.random.default_rng(0)
    queries = synthetic(base, QUERIES, rng)
    default_threads = faiss.omp_get_max_threads()
    print(
        f"{'vectors':>9} {'type':<6} {'build s':>8} {'p50 ms 1 thr':>13} "
        f"{f'p50 ms {default_threads} thr':>13} {'recall@10':>10}"
    )
    for size in args.sizes:
        vectors = synthetic(base, size, rng)
        exact_ids = None
        for kind, flat_max in (("flat", size), ("hnsw", 0)):
            params = DenseParams(
                flat_max, settings.hnsw_m, settings.hnsw_ef_construction, settings.hnsw_ef_search
            )
            faiss.omp_set_num_threads(default_threads)
            started = time.perf_counter()
            index = build_dense_index(vectors, params)
            build_s = time.perf_counter() - started
            _, ids = index.search(queries, 10)
            if exact_ids is None:
                exact_ids = ids
            recall = np.mean(
                [len(set(a) & set(b)) / 10 for a, b in zip(ids, exact_ids, strict=True)]
            )
            multi = latency_ms(index, queries)
            faiss.omp_set_num_threads(1)
            single = latency_ms(index, queries)
            timings = f"{build_s:>8.1f} {single:>13.3f} {multi:>13.3f}"
            print(f"{size:>9} {kind:<6} {timings} {recall:>10.3f}")
    faiss.omp_set_num_threads(default_threads)


if __name__ == "__main__":
    main()
