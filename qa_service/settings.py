"""The one configuration object: every `RAG_` environment variable (or `.env` line) lands here."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from indexer.settings import IndexSettings


class Settings(IndexSettings):
    """The indexer's settings plus retrieval, answering and HTTP settings."""

    # Retrieval
    fusion: Literal["rrf", "convex"] = Field("rrf", description="How dense and BM25 ranks combine")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant")
    convex_alpha: float = Field(
        0.5, ge=0, le=1, description="Weight of the dense score in convex fusion"
    )
    retrieval_depth: int = Field(50, ge=1, description="Candidates taken from each retriever")
    faiss_threads: int = Field(
        1, ge=1, description="FAISS threads per search (more is 2-4x slower for one query)"
    )
    embed_max_batch: int = Field(
        32, ge=1, description="Most concurrent questions embedded in one model call"
    )

    # Answering
    answer_passages: int = Field(5, ge=1, description="Top passages whose sentences may answer")
    answer_max_sentences: int = Field(3, ge=1)
    answer_max_tokens: int = Field(160, ge=16, description="Answer budget, in cl100k tokens")
    answer_relative_floor: float = Field(
        0.7, ge=0, le=1, description="A sentence must score this share of the best one"
    )
    mmr_lambda: float = Field(0.75, ge=0, le=1, description="Relevance vs. novelty of sentences")
    answer_similarity_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Sentence relevance: weight of the embedding similarity "
        "(the rest is idf-weighted term overlap)",
    )
    answer_context_weight: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Share of the term overlap counted over the sentence "
        "together with the one before it",
    )
    answer_type_bonus: float = Field(
        0.05,
        ge=0,
        description="Relevance added to a sentence holding the kind of answer asked "
        "for (a quantity for 'how many', a date for 'when')",
    )
    answer_typed_focus: float = Field(
        0.8,
        ge=0,
        le=1,
        description="The evidence gate reads the kind of answer asked for in sentences "
        "scoring this share of the best one",
    )
    answer_follow_on: bool = Field(
        True, description="Add the next sentence when it carries on from a chosen one"
    )
    gate_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Abstain when the evidence gate's score is below this; unset, the threshold "
        "calibrated for the embedding model (qa_service/answering/gate_calibration.json)",
    )
    support_threshold: float = Field(
        0.75, ge=0, le=1, description="Drop an answer sentence its citation supports less"
    )

    # HTTP
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"],
        description="Origins allowed to call the API from a browser (the widget's host pages)",
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    cache_size: int = Field(1024, ge=0, description="Answers kept for repeated questions")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
