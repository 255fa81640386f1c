"""Vectors -> a FAISS inner-product index whose type follows the corpus size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from indexer.embedding import Vectors


@dataclass(frozen=True)
class DenseParams:
    flat_max: int  # exact search up to this many vectors, HNSW above
    hnsw_m: int
    hnsw_ef_construction: int
    hnsw_ef_search: int


def build_dense_index(vectors: Vectors, params: DenseParams) -> faiss.Index:
    """Exact inner product for small corpora; HNSW (still inner product) for large ones."""
    dimension = vectors.shape[1]
    index: faiss.Index
    if len(vectors) <= params.flat_max:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.hnsw_ef_construction
        index.hnsw.efSearch = params.hnsw_ef_search
    index.add(vectors)
    return index


def describe(index: faiss.Index) -> dict[str, object]:
    described: dict[str, object] = {"type": type(index).__name__, "vectors": int(index.ntotal)}
    if isinstance(index, faiss.IndexHNSWFlat):
        described["ef_search"] = int(index.hnsw.efSearch)
    return described


def save_dense_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense_index(path: Path, ef_search: int) -> faiss.Index:
    # Mapped, not copied: the vectors stay in the page cache, one copy for every worker process.
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = ef_search
    return index


def search(
    index: faiss.Index, query: Vectors, k: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Scores and rows of the k nearest vectors to one query; rows of -1 dropped."""
    scores, rows = index.search(query, min(k, index.ntotal))
    keep = rows[0] >= 0
    return scores[0][keep], rows[0][keep]
