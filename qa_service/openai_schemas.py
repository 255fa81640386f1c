"""OpenAI chat-completions bodies: what `/v1/*` accepts and returns, with the citations added.

The shapes follow https://platform.openai.com/docs/api-reference/chat; the extra fields
(`citations`, `abstained`, `abstention_reason` on the message, and on the final streamed delta)
carry the service's citation contract to the clients that read them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from qa_service.schemas import Citation


class TextPart(BaseModel):
    """One part of a message's content; the service reads text only."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """Other OpenAI parameters (`stop`, `seed`, `user`, `tools`, ...) are accepted and ignored."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": "grounded-qa",
                    "messages": [
                        {"role": "user", "content": "How long is Iraq's border with Iran?"}
                    ],
                }
            ]
        },
    )

    model: str
    messages: list[ChatMessage] = Field(
        min_length=1,
        description="The last message is the question (from the user); earlier user and "
        "assistant messages are the conversation; system messages are ignored",
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(
        None, ge=1, description="Accepted; answers keep to RAG_ANSWER_MAX_TOKENS"
    )
    max_completion_tokens: int | None = Field(None, ge=1, description="As `max_tokens`")
    temperature: float | None = Field(
        None, ge=0, le=2, description="Accepted; answers are extractive and deterministic"
    )
    top_p: float | None = Field(None, ge=0, le=1, description="Accepted, as `temperature`")
    n: int = Field(1, ge=1, le=1, description="One choice per request")


class Usage(BaseModel):
    """Token counts in cl100k tokens (the messages read, the answer written)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    """The answer, plus the citation contract and whether it abstained, for clients that read it."""

    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer, with `[n]` citation markers")
    refusal: None = None
    citations: list[Citation] = Field(
        description="What each `[n]` of the content points at: for every citation, "
        "GET /documents/{doc_id} has text[start:end] == quote"
    )
    abstained: bool = Field(description="True when the sources do not answer the question")
    abstention_reason: str | None = Field(description="Why it abstained; null when it answered")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class Delta(BaseModel):
    """A piece of the assistant message; only the fields given are sent."""

    role: Literal["assistant"] | None = None
    content: str | None = None
    citations: list[Citation] | None = None
    abstained: bool | None = None
    abstention_reason: str | None = None

    @model_serializer(mode="wrap")
    def _only_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {name: value for name, value in data.items() if name in self.model_fields_set}


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` frame of a streamed completion; the stream ends with `data: [DONE]`."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = Field(description="When the index it answers from was built (Unix time)")
    owned_by: str = "grounded-qa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    """Every error on `/v1/*`, in OpenAI's shape, so its client libraries raise typed errors."""

    error: OpenAIErrorDetail
