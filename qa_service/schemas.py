"""Request and response bodies: what HTTP clients, the widget and the eval send and get."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from corpus import Page

MAX_QUESTION_CHARS = 1000
MAX_TURN_CHARS = 4000
MAX_HISTORY_TURNS = 20
MAX_TOP_K = 20


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain some text, not only white space")
    return value


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    """A question; the API reference's examples are made from the loaded documents' sections."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    top_k: int = Field(
        default=5, ge=1, le=MAX_TOP_K, strict=True, description="How many passages to return"
    )
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)

    _question_not_blank = field_validator("question")(_not_blank)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K, strict=True)

    _query_not_blank = field_validator("query")(_not_blank)


class Passage(BaseModel, frozen=True):
    """A retrieved chunk, in rank order (1 is best)."""

    rank: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str  # == the document's text[start:end]
    start: int
    end: int
    score: float


class Citation(BaseModel, frozen=True):
    """The passage one `[marker]` of the answer points at; `quote` == document text[start:end]."""

    marker: int
    doc_id: str
    title: str
    section: str
    quote: str
    start: int
    end: int
    chunk_id: str
    support: float = Field(description="How well the quote supports its answer sentence, 0 to 1")


class ShortAnswer(BaseModel, frozen=True):
    """The words of a cited sentence that answer a fact question; `text` == text[start:end]."""

    text: str
    doc_id: str
    start: int
    end: int


class AskResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "Iraq is a member of the United Nations, the Arab League (of which "
                    "it is a founding member) since 1945 ... [1]",
                    "abstained": False,
                    "citations": [
                        {
                            "marker": 1,
                            "doc_id": "foreign-relations-of-iraq",
                            "title": "Foreign relations of Iraq",
                            "section": "Introduction",
                            "quote": "Iraq is a member of the United Nations, the Arab League ...",
                            "start": 412,
                            "end": 790,
                            "chunk_id": "foreign-relations-of-iraq:1c0e7a4b92d3",
                            "support": 1.0,
                        }
                    ],
                    "passages": [],
                    "query": "When did Iraq join the Arab League?",
                    "timings_ms": {"embed": 9.1, "dense": 0.1, "bm25": 0.3, "total": 11.2},
                }
            ]
        }
    )

    answer: str
    abstained: bool
    short_answer: ShortAnswer | None = Field(
        None,
        description="For a fact question (who, what, when, where, how many): the span of a "
        "cited sentence that answers it; null when unsure or not a fact question",
    )
    abstention_reason: str | None = Field(
        None, description="Why the service did not answer; null when it answered"
    )
    citations: list[Citation]
    dropped_claims: int = Field(
        0, ge=0, description="Drafted sentences removed because their citations do not say them"
    )
    passages: list[Passage]
    query: str = Field(description="What was searched: the question, resolved against the history")
    answerer: Literal["extractive", "generative", "extractive-fallback"] = Field(
        "extractive",
        description="Who drafted the answer: the passages' own sentences, a language model, or "
        "the passages' sentences because the language model failed",
    )
    timings_ms: dict[str, float]


class SearchResponse(BaseModel):
    passages: list[Passage]
    query: str


class SectionOutline(BaseModel, frozen=True):
    path: str
    level: int
    start: int
    end: int


class DocumentSummary(BaseModel, frozen=True):
    id: str
    title: str
    kind: str
    source: str
    chars: int


class DocumentDetail(DocumentSummary, frozen=True):
    text: str  # every citation's start/end points into this text
    sections: list[SectionOutline]
    pages: list[Page] = Field(
        default_factory=list,
        description="For a paged original (PDF): the page each part of `text` came from",
    )


class ErrorBody(BaseModel):
    """Every error response: what went wrong and what to do about it."""

    error: str
    detail: str | list[dict[str, object]]
    request_id: str | None = None


class PassagesEvent(BaseModel):
    """`event: passages`, first: what was searched and what was found."""

    query: str
    passages: list[Passage]


class DeltaEvent(BaseModel):
    """`event: delta`, repeated: the next piece of the answer text; the pieces join to `answer`.
    A generative answer sends one checked sentence per delta, with the citations it uses."""

    text: str
    citations: list[Citation] = Field(default_factory=list)


class CitationsEvent(BaseModel):
    """`event: citations`, after the last delta: what the answer's markers point at."""

    citations: list[Citation]


STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "passages": PassagesEvent,
    "delta": DeltaEvent,
    "citations": CitationsEvent,
    "done": AskResponse,  # last: the whole response, equal to what POST /ask returns
    "error": ErrorBody,  # instead of the remaining events, if answering fails mid-stream
}
