"""The one configuration object: every `RAG_` environment variable (or `.env` line) lands here."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr

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
    support_judge: Literal["checks", "model", "lexical"] = Field(
        "checks",
        description="Who checks that each answer sentence's citation supports it: 'checks' "
        "(numbers, units, dates, names, negation and roles compared, then no content added), "
        "'model' (the same checks, then the fine-tuned cross-encoder; experimental: its "
        "threshold is in its manifest) or 'lexical' (word overlap, the first release's check)",
    )
    support_threshold: float = Field(
        0.75,
        ge=0,
        le=1,
        description="The lexical judge drops an answer sentence its citation supports less",
    )

    # Generative answers (qa_service/answering/generative.py)
    answerer: Literal["extractive", "generative"] = Field(
        "extractive",
        description="Who drafts answers: 'extractive' (the passages' own sentences, no model) or "
        "'generative' (a chat model at RAG_LLM_BASE_URL; every sentence still checked)",
    )
    llm_base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="An OpenAI-compatible API (`make serve-llm` serves the bundled model here)",
    )
    llm_model: str = Field("SmolLM2-135M-Instruct", description="The model name sent to the API")
    llm_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="The API key, if the endpoint wants one"
    )
    llm_timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds the model may take to start answering, or between two pieces of "
        "its answer, before the service falls back or fails",
    )
    llm_max_tokens: int = Field(256, ge=16, description="Most tokens the model may generate")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature")
    llm_passages: int = Field(
        3, ge=1, description="Top passages given to the model, numbered [1]..[k] in rank order"
    )
    llm_passage_sentences: int = Field(
        1, ge=1, description="Of each passage, the sentences closest to the question it is shown"
    )
    llm_fallback: bool = Field(
        True,
        description="When the model fails (down, timeout, rate limit, garbage), answer "
        "extractively (answerer: 'extractive-fallback') instead of returning an error",
    )
    llm_threads: int = Field(1, ge=1, description="Inference threads of `make serve-llm`")
    llm_context: int = Field(4096, ge=512, description="Context window of `make serve-llm`")

    # HTTP
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"],
        description="Origins allowed to call the API from a browser (the widget's host pages)",
    )
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_upload_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Largest body of a document write (POST or PUT /documents): the files sent",
    )
    watch_interval: float = Field(
        2.0,
        ge=0,
        description="Seconds between two checks of the corpus folder for files added, changed "
        "or removed (then indexed) and of the index for a version built elsewhere; 0: never",
    )
    job_lease_seconds: float = Field(
        30.0,
        ge=1,
        description="PostgreSQL: a queued or running indexing job whose replica has not "
        "renewed its lease for this long (renewed every third of it) reads as failed, its "
        "replica presumed dead",
    )
    cache_bytes: int = Field(
        16 * 1024 * 1024,
        ge=0,
        description="Bytes of answers (their JSON, with the request as key) kept for repeated "
        "questions; 0 turns the cache off",
    )

    # Access: API keys sent as `Authorization: Bearer KEY` (JSON lists, like cors_origins)
    read_api_keys: list[SecretStr] = Field(
        default_factory=list,
        description="When set, questions, documents, /readyz and /docs need one of these keys "
        "(or an admin key); empty (the local demo) lets anyone read",
    )
    admin_api_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Keys for /metrics and writes; when empty, only clients on this machine "
        "(127.0.0.1, ::1) reach them",
    )

    # Limits, per worker process: safe defaults for a public deployment
    rate_limit_per_minute: int = Field(
        120,
        ge=0,
        description="Requests per minute per API key, or per client address without "
        "one (0 turns the limit off); beyond it, 429 with Retry-After",
    )
    rate_limit_burst: int = Field(20, ge=1, description="Requests a client may send at once")
    max_concurrent_questions: int = Field(
        32,
        ge=1,
        description="Questions answered at once; beyond it, an immediate 503 with "
        "Retry-After instead of a queue",
    )
    max_connections: int = Field(
        256, ge=1, description="Open connections; beyond it, new ones get a 503 and are closed"
    )
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Size of a request's line and headers together"
    )
    max_headers: int = Field(64, ge=8, description="Number of request headers")
    request_timeout: float = Field(
        10,
        gt=0,
        description="Seconds a client has to send a whole request (slow senders are cut off)",
    )
    keep_alive_timeout: int = Field(5, ge=1, description="Seconds an idle connection stays open")
    workers: int = Field(1, ge=1, description="Worker processes `rag-serve` starts")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Integrations: the OpenAI-compatible API and the MCP server
    openai_model: str = Field(
        "grounded-qa",
        min_length=1,
        description="The model id /v1/models lists and /v1/chat/completions accepts",
    )
    mcp_allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1:*", "localhost:*", "[::1]:*"],
        description="Host headers /mcp accepts (DNS-rebinding protection); add the public "
        "host:port when serving beyond this machine",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
