"""Generative answers over HTTP with the real bundled model (SmolLM2 behind xllamacpp).

The model is tiny and often wrong; these tests hold the service to its contract whatever the
model says: every sentence that reaches the client is cited and checked, the stream is the
answer, and a model that is down or slow never turns into a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from indexer.analysis import DEFAULT_ANALYZER
from indexer.building import BuildReport
from qa_service.answering.generative import parse_markers
from qa_service.answering.judging import ChecksJudge
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest
from qa_service.settings import Settings
from tests.qa_service.test_http import parse_sse, valid_citations
from tests.servers import LiveServer, free_port, start_server, stop_server

QUESTION = "How long is the border between Iraq and Iran?"


@pytest.fixture(scope="module")
def generative_client(
    settings: Settings,
    built_index: BuildReport,
    local_llm: LiveServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    log = tmp_path_factory.mktemp("generative") / "uvicorn.log"
    server = start_server(
        settings.index_dir,
        log,
        RAG_ANSWERER="generative",
        RAG_LLM_BASE_URL=local_llm.url,
        RAG_LLM_TIMEOUT="120",  # generous: the machine may be loaded
        RAG_LLM_MAX_TOKENS="64",  # short: one sentence fits, a runaway reply stops early
    )
    with httpx.Client(base_url=server.url, timeout=300) as client:
        yield client
    stop_server(server)


def test_a_generated_answer_cites_spans_that_check_out(generative_client: httpx.Client) -> None:
    body = generative_client.post("/ask", json={"question": QUESTION}).json()
    assert body["answerer"] == "generative" and not body["abstained"]
    assert "1,458" in body["answer"] and body["citations"]
    assert body["timings_ms"]["first_sentence"] <= body["timings_ms"]["total"]
    valid_citations(generative_client, body)
    metrics = generative_client.get("/metrics").text
    assert "rag_first_sentence_seconds_count 1.0" in metrics


# One question on each shipped document; the model may answer or not, but whatever it shows
# must be cited and supported.
QUESTIONS = (QUESTION, "Which Iraqi ministry sent the firefighters to Latakia?")


def test_every_sentence_shown_is_cited_and_supported_on_both_documents(
    generative_client: httpx.Client,
) -> None:
    answered = set()
    for question in QUESTIONS:
        asked = generative_client.post("/ask", json={"question": question})
        assert asked.status_code == 200
        body = asked.json()
        assert body["answerer"] == "generative"
        valid_citations(generative_client, body)
        if body["abstained"]:
            continue
        answered |= {c["doc_id"] for c in body["citations"]}
        quotes = {c["marker"]: c["quote"] for c in body["citations"]}
        answer = body["answer"]
        for start, end in DEFAULT_ANALYZER.sentences(answer, 0, len(answer)):
            sentence = parse_markers(answer[start:end])
            assert sentence.markers, f"an uncited sentence was shown: {answer[start:end]}"
            quote = " ".join(quotes[m] for m in sentence.markers)
            (verdict,) = ChecksJudge().judge([(sentence.text, quote)])
            assert verdict.supported, (sentence.text, verdict.reason)
    assert len(answered) == 2  # both documents answered, with exact spans


def test_the_stream_sends_checked_sentences_and_equals_the_answer(
    generative_client: httpx.Client,
) -> None:
    question = "When was the Baghdad Pact signed?"
    with generative_client.stream("POST", "/ask/stream", json={"question": question}) as streamed:
        assert streamed.status_code == 200
        events = parse_sse(streamed.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "passages" and names[-2:] == ["citations", "done"]
    done = events[-1][1]
    deltas = [data for name, data in events if name == "delta"]
    assert "".join(d["text"] for d in deltas) == done["answer"]
    assert done["answerer"] == "generative"
    if not done["abstained"]:  # each sentence arrived with the citations its markers name
        for delta in deltas:
            markers = {c["marker"] for c in delta["citations"]}
            assert markers and all(f"[{m}]" in delta["text"] for m in markers)
    asked = generative_client.post("/ask", json={"question": question}).json()
    assert asked["answer"] == done["answer"] and asked["citations"] == done["citations"]
    valid_citations(generative_client, done)


def test_a_slow_model_falls_back_to_the_extractive_answer(
    settings: Settings, built_index: BuildReport, service: QAService, local_llm: LiveServer
) -> None:
    impatient = settings.model_copy(
        update={"answerer": "generative", "llm_base_url": local_llm.url, "llm_timeout": 0.001}
    )
    response = QAService(impatient, embedder=service.embedder).ask(AskRequest(question=QUESTION))
    assert response.answerer == "extractive-fallback" and "1,458" in response.answer


def test_a_stopped_model_server_is_a_clear_error_not_a_5xx_trace(
    settings: Settings, built_index: BuildReport, tmp_path: Path
) -> None:
    server = start_server(
        settings.index_dir,
        tmp_path / "log",
        RAG_ANSWERER="generative",
        RAG_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        RAG_LLM_FALLBACK="false",
    )
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            asked = client.post("/ask", json={"question": QUESTION})
            assert asked.status_code == 503 and asked.headers["retry-after"]
            error = asked.json()
            assert error["error"] == "model_unavailable"
            assert "make serve-llm" in error["detail"] and "Traceback" not in asked.text
            streamed = client.post("/ask/stream", json={"question": QUESTION})
            events = parse_sse(streamed.text)
            assert [name for name, _ in events] == ["passages", "error"]
            assert events[-1][1]["error"] == "model_unavailable"
    finally:
        stop_server(server)
