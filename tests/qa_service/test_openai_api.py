"""The OpenAI-compatible API on a real uvicorn server, driven by the `openai` SDK and LangChain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from langchain_openai import ChatOpenAI

from tests.servers import LiveServer, start_server, stop_server

QUESTION = "How long is the border between Iraq and Iran?"
OFF_TOPIC = "What is the capital of Brazil?"
MODEL = "grounded-qa"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_server.url}/v1", api_key="any-key", max_retries=0)


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        yield http


def user(text: str) -> Any:
    return {"role": "user", "content": text}


def check_citations(http: httpx.Client, content: str, citations: list[dict[str, Any]]) -> None:
    """Every marker has a citation and every citation's quote is the document's text there."""
    assert sorted({int(m) for m in MARKER.findall(content)}) == [c["marker"] for c in citations]
    for citation in citations:
        text = http.get(f"/documents/{citation['doc_id']}").json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_models_lists_the_service_and_nothing_else(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]
    assert client.models.retrieve(MODEL).created > 0
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_a_completion_carries_markers_and_the_citation_contract(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=[user(QUESTION)], max_tokens=200, temperature=0.2
    )
    choice = completion.choices[0]
    message = choice.message
    assert choice.finish_reason == "stop" and message.role == "assistant"
    assert "1,458 kilometers" in (message.content or "")
    extra = message.model_extra or {}
    assert extra["abstained"] is False and extra["abstention_reason"] is None
    check_citations(http, message.content or "", extra["citations"])
    asked = http.post("/ask", json={"question": QUESTION}).json()
    assert message.content == asked["answer"] and extra["citations"] == asked["citations"]
    assert completion.usage is not None and completion.usage.completion_tokens > 10
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_a_streamed_completion_joins_to_the_same_answer(client: openai.OpenAI) -> None:
    question = "Why did Saudi Arabia cut its financial aid to Sudan?"
    whole = client.chat.completions.create(model=MODEL, messages=[user(question)])
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[user(question)],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len(pieces) > 3 and "".join(pieces) == whole.choices[0].message.content
    *_, last_choice_chunk, usage_chunk = chunks
    final = last_choice_chunk.choices[0]
    assert final.finish_reason == "stop"
    assert (final.delta.model_extra or {})["citations"] == (
        whole.choices[0].message.model_extra or {}
    )["citations"]
    assert usage_chunk.choices == [] and usage_chunk.usage == whole.usage


def test_an_abstention_is_an_assistant_message_with_a_flag(client: openai.OpenAI) -> None:
    message = client.chat.completions.create(model=MODEL, messages=[user(OFF_TOPIC)])
    reply = message.choices[0].message
    extra = reply.model_extra or {}
    assert reply.role == "assistant" and reply.content == "The sources do not answer this question."
    assert extra["abstained"] is True and extra["abstention_reason"]
    assert extra["citations"] == []
    streamed = list(
        client.chat.completions.create(model=MODEL, messages=[user(OFF_TOPIC)], stream=True)
    )
    final = streamed[-1].choices[0].delta.model_extra or {}
    assert final["abstained"] is True and final["abstention_reason"] == extra["abstention_reason"]


def test_earlier_messages_are_the_history_and_system_messages_are_ignored(
    client: openai.OpenAI, http: httpx.Client
) -> None:
    first = client.chat.completions.create(model=MODEL, messages=[user(QUESTION)])
    follow_up = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            user(QUESTION),
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": [{"type": "text", "text": "And with Kuwait?"}]},
        ],
    )
    message = follow_up.choices[0].message
    assert "240 k" in (message.content or "")  # "a border of 240 kilometers"
    check_citations(http, message.content or "", (message.model_extra or {})["citations"])


def test_an_unknown_model_is_a_not_found_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=[user(QUESTION)])
    assert raised.value.status_code == 404 and raised.value.code == "model_not_found"
    assert raised.value.param == "model" and MODEL in raised.value.message


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": MODEL, "messages": []}, 422, "messages"),
        ({"model": MODEL}, 422, "messages"),
        ({"model": MODEL, "messages": [user("   ")]}, 422, "messages"),
        ({"model": MODEL, "messages": [user("x" * 1001)]}, 422, "messages"),
        ({"model": MODEL, "messages": [user(QUESTION)], "temperature": 3}, 422, "temperature"),
        ({"model": MODEL, "messages": [user(QUESTION)], "n": 2}, 422, "n"),
        (
            {"model": MODEL, "messages": [user(QUESTION), {"role": "assistant", "content": "."}]},
            400,
            "messages",
        ),
    ],
)
def test_bad_requests_get_openai_errors_naming_the_parameter(
    http: httpx.Client, body: dict[str, Any], status: int, param: str
) -> None:
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(response.json()) == {"error"} and set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param


def test_malformed_json_and_unknown_endpoints_get_openai_errors(http: httpx.Client) -> None:
    broken = http.post(
        "/v1/chat/completions", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]["message"]
    unknown = http.post("/v1/embeddings", json={"input": "x"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_url"


def test_langchain_chat_openai_invokes_and_streams(live_server: LiveServer) -> None:
    chat = ChatOpenAI(
        base_url=f"{live_server.url}/v1", api_key="any-key", model=MODEL, max_retries=0
    )
    answer = chat.invoke(QUESTION)
    assert isinstance(answer.content, str) and "1,458 kilometers" in answer.content
    assert MARKER.search(answer.content)
    streamed = "".join(str(chunk.content) for chunk in chat.stream(QUESTION))
    assert streamed == answer.content


def test_a_service_without_an_index_is_a_503_in_openai_shape(tmp_path: Path) -> None:
    server = start_server(tmp_path / "no-index", tmp_path / "log", wait_for="/healthz")
    try:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.InternalServerError) as raised:
            client.chat.completions.create(model=MODEL, messages=[user(QUESTION)], stream=True)
        assert raised.value.status_code == 503 and raised.value.code == "not_ready"
        assert "rag-index build" in raised.value.message
        assert raised.value.response.headers["retry-after"]
    finally:
        stop_server(server)


def test_a_failure_while_answering_is_a_500_in_openai_shape(failing_app: TestClient) -> None:
    for stream in (False, True):
        response = failing_app.post(
            "/v1/chat/completions",
            json={"model": MODEL, "messages": [user(QUESTION)], "stream": stream},
        )
        assert response.status_code == 500
        assert response.json()["error"]["type"] == "server_error"
        assert "retry" in response.json()["error"]["message"]


def test_openapi_documents_the_stream_and_the_error_shape(http: httpx.Client) -> None:
    post = http.get("/openapi.json").json()["paths"]["/v1/chat/completions"]["post"]
    assert "text/event-stream" in post["responses"]["200"]["content"]
    for status in ("404", "422", "503"):
        schema = post["responses"][status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/OpenAIErrorBody")
