"""The generative answerer against a scripted endpoint: what the judge drops, streaming, failures.

The endpoint is a real HTTP server (tests/qa_service/scripted_llm.py) returning fixed
completions, so each test knows exactly what the "model" said; the index, the embedding model
and the judge are the real ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from indexer.building import BuildReport
from qa_service.answering.generative import INSTRUCTIONS, MODEL_DECLINED
from qa_service.pipeline import AnswererRateLimitedError, AnswererUnavailableError, QAService
from qa_service.schemas import AskRequest, AskResponse, DeltaEvent, PassagesEvent, Turn
from qa_service.settings import Settings
from tests.qa_service.scripted_llm import Script, ScriptedModel
from tests.servers import free_port

QUESTION = "How long is the border between Iraq and Iran?"
FACT = "measures 1,458 kilometers"


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    yield model
    model.close()


def generative_service(
    settings: Settings, service: QAService, base_url: str, **changes: object
) -> QAService:
    own = settings.model_copy(
        update={
            "answerer": "generative",
            "llm_base_url": base_url,
            "llm_timeout": 2.0,
            "cache_bytes": 0,
            **changes,
        }
    )
    return QAService(own, embedder=service.embedder)


@pytest.fixture(scope="module")
def generative(
    settings: Settings, built_index: BuildReport, service: QAService, scripted: ScriptedModel
) -> QAService:
    return generative_service(settings, service, scripted.url)


@pytest.fixture(scope="module")
def strict(
    settings: Settings, built_index: BuildReport, service: QAService, scripted: ScriptedModel
) -> QAService:
    """No fallback: the model's failures reach the caller."""
    return generative_service(settings, service, scripted.url, llm_fallback=False)


def rank_of(service: QAService, text: str) -> int:
    """The [n] of the passage holding `text` among the passages the model is shown."""
    hits = service.retrieve(QUESTION, service.settings.answer_passages).hits
    shown = hits[: service.settings.llm_passages]
    return next(n for n, hit in enumerate(shown, 1) if text in hit.chunk.text)


def check_citations(service: QAService, response: AskResponse) -> None:
    for citation in response.citations:
        text = service.index.documents[citation.doc_id].text
        assert text[citation.start : citation.end] == citation.quote
        assert f"[{citation.marker}]" in response.answer
    assert [c.marker for c in response.citations] == list(range(1, len(response.citations) + 1))


def test_unsupported_number_changed_and_unmarked_sentences_are_dropped(
    generative: QAService, scripted: ScriptedModel
) -> None:
    n = rank_of(generative, FACT)
    scripted.script = Script(
        f"The border between Iraq and Iran measures 1,458 kilometers [{n}]. "
        f"The border between Iraq and Iran measures 1,600 kilometers [{n}]. "
        f"Iraq and Iran signed a free-trade agreement on fisheries in the Caspian [{n}]. "
        "Iraq and Iran share a border of 900 kilometers [9]. "
        "Iraq and Iran signed a treaty on fisheries in the Caspian. "
        "The passage provides a clear overview of the border between Iraq and Iran [1]."
    )
    response = generative.ask(AskRequest(question=QUESTION))
    assert response.answerer == "generative" and not response.abstained
    assert response.answer == "The border between Iraq and Iran measures 1,458 kilometers [1]."
    # a changed number, an invention, and, placed on every passage and still unsupported,
    # a changed number citing [9] of 3 and an invention without a marker; a sentence about the
    # passage, not about the border
    assert response.dropped_claims == 5
    (citation,) = response.citations
    assert FACT in citation.quote  # localised to the sentence that says it, not the whole passage
    assert citation.quote.count(". ") <= 1
    check_citations(generative, response)


def test_a_supported_sentence_without_a_valid_marker_is_placed_on_the_passage_that_says_it(
    generative: QAService, scripted: ScriptedModel
) -> None:
    scripted.script = Script(
        "The border was approved by the Algiers Agreements signed in 1975 [9]. "
        "The border between Iraq and Iran measures 1,458 kilometers."
    )
    response = generative.ask(AskRequest(question=QUESTION))
    assert response.dropped_claims == 0
    assert response.answer == (
        "The border was approved by the Algiers Agreements signed in 1975 [1]. "
        "The border between Iraq and Iran measures 1,458 kilometers [1]."
    )
    (citation,) = response.citations
    assert FACT in citation.quote and "Algiers" in citation.quote
    check_citations(generative, response)


def test_the_prompt_numbers_short_passages_in_rank_order_after_the_history(
    generative: QAService, scripted: ScriptedModel
) -> None:
    scripted.script = Script("The passages do not answer the question.")
    history = [
        Turn(role="user", content="Who borders Iraq?"),
        Turn(role="assistant", content="Iran borders Iraq [1]."),
    ]
    generative.ask(AskRequest(question=QUESTION, history=history))
    messages = scripted.requests[-1]["messages"]
    assert messages[:-1] == [
        {"role": "user", "content": "Who borders Iraq?"},
        {"role": "assistant", "content": "Iran borders Iraq."},
    ]
    prompt = messages[-1]["content"]
    assert prompt.endswith(f"Question: {QUESTION}\n\n{INSTRUCTIONS}")
    blocks = re.findall(r"^\[(\d+)\] (.*)$", prompt, re.MULTILINE)
    assert [int(n) for n, _ in blocks] == [1, 2, 3]
    hits = generative.retrieve(QUESTION, 5).hits[:3]
    for (_, text), hit in zip(blocks, hits, strict=True):  # the passage's sentences nearest it
        rows = range(*hit.chunk.sentence_rows)
        shown = [generative.index.sentences[r].text for r in rows]
        shown = [s for s in shown if s in text]
        assert 1 <= len(shown) <= 2 and text == " ".join(shown)
    assert FACT in blocks[rank_of(generative, FACT) - 1][1]


def test_the_model_saying_the_passages_do_not_answer_is_an_abstention(
    generative: QAService, scripted: ScriptedModel
) -> None:
    scripted.script = Script("How long is it? The passages do not answer the question.")
    response = generative.ask(AskRequest(question=QUESTION))  # a question claims nothing
    assert response.abstained and response.citations == []
    assert response.abstention_reason == MODEL_DECLINED and response.dropped_claims == 0


def test_nothing_supported_is_an_abstention_with_its_reason(
    generative: QAService, scripted: ScriptedModel
) -> None:
    scripted.script = Script(
        "Iraq and Iran joined the European Union together [1]. They are far apart [7]."
    )
    response = generative.ask(AskRequest(question=QUESTION))
    assert response.abstained and response.dropped_claims == 2
    assert "supported" in (response.abstention_reason or "")


def test_the_stream_releases_judged_sentences_with_their_citations(
    generative: QAService, scripted: ScriptedModel
) -> None:
    n = rank_of(generative, FACT)
    scripted.script = Script(
        f"The border between Iraq and Iran measures 1,458 kilometers [{n}].\n"
        f"It was invented by a committee in 2003 [{n}].\n"
        f"The border was approved by the Algiers Agreements signed in 1975 [{n}].",
        piece_chars=3,
    )
    events = list(generative.stream(AskRequest(question=QUESTION)))
    assert isinstance(events[0], PassagesEvent) and isinstance(events[-1], AskResponse)
    deltas = events[1:-1]
    assert len(deltas) == 2 and all(isinstance(d, DeltaEvent) for d in deltas)
    done = events[-1]
    assert "".join(d.text for d in deltas if isinstance(d, DeltaEvent)) == done.answer
    for delta in deltas:
        assert isinstance(delta, DeltaEvent) and delta.citations
        for citation in delta.citations:
            assert f"[{citation.marker}]" in delta.text and citation in done.citations
    assert done.dropped_claims == 1 and "2003" not in done.answer
    assert 0 < done.timings_ms["first_sentence"] <= done.timings_ms["total"]
    check_citations(generative, done)


@pytest.mark.parametrize(
    "script",
    [
        Script(status=429, headers={"retry-after": "7"}),
        Script(status=500),
        Script(garbage=True),
        Script("Too late [1].", delay=3.0),
    ],
    ids=["rate-limited", "server-error", "garbage", "timeout"],
)
def test_a_failing_model_falls_back_to_the_extractive_answer(
    generative: QAService, scripted: ScriptedModel, script: Script
) -> None:
    scripted.script = script
    response = generative.ask(AskRequest(question=QUESTION))
    assert response.answerer == "extractive-fallback"
    assert "1,458" in response.answer and response.citations
    check_citations(generative, response)


def test_a_model_that_stalls_after_a_sentence_was_sent_ends_the_stream_with_the_error(
    generative: QAService, scripted: ScriptedModel
) -> None:
    """No fallback once a checked sentence is out: the answer would change under the reader."""
    n = rank_of(generative, FACT)
    first = f"The border between Iraq and Iran measures 1,458 kilometers [{n}]. "
    scripted.script = Script(
        first + f"It was approved by the Algiers Agreements [{n}]. It was signed in 1975 [{n}].",
        delay=3.0,
        stall_after=len(first) + 10,  # the second sentence has begun: the first is released
    )
    events = []
    with pytest.raises(AnswererUnavailableError, match="RAG_LLM_TIMEOUT"):
        for event in generative.stream(AskRequest(question=QUESTION)):
            events.append(event)
    assert isinstance(events[0], PassagesEvent)
    (delta,) = events[1:]  # the first sentence, judged and cited; nothing unchecked after it
    assert isinstance(delta, DeltaEvent) and delta.citations
    assert delta.text == "The border between Iraq and Iran measures 1,458 kilometers [1]."


def test_a_stopped_endpoint_falls_back(
    settings: Settings, built_index: BuildReport, service: QAService
) -> None:
    stopped = generative_service(settings, service, f"http://127.0.0.1:{free_port()}/v1")
    response = stopped.ask(AskRequest(question=QUESTION))
    assert response.answerer == "extractive-fallback" and "1,458" in response.answer


def test_without_fallback_the_failure_says_what_to_do(
    strict: QAService, scripted: ScriptedModel
) -> None:
    scripted.script = Script(status=429, headers={"retry-after": "7"})
    with pytest.raises(AnswererRateLimitedError) as limited:
        strict.ask(AskRequest(question=QUESTION))
    assert limited.value.retry_after == 7 and "wait for 7 s" in str(limited.value)
    scripted.script = Script(garbage=True)
    with pytest.raises(AnswererUnavailableError, match="OpenAI-compatible"):
        strict.ask(AskRequest(question=QUESTION))


def test_the_api_key_never_appears_in_errors(
    settings: Settings, built_index: BuildReport, service: QAService, scripted: ScriptedModel
) -> None:
    keyed = generative_service(
        settings, service, scripted.url, llm_fallback=False, llm_api_key=SecretStr("sk-secret-123")
    )
    scripted.script = Script(status=401)
    with pytest.raises(AnswererUnavailableError) as failed:
        keyed.ask(AskRequest(question=QUESTION))
    assert "sk-secret" not in str(failed.value) and "RAG_LLM_API_KEY" in str(failed.value)
    assert "sk-secret" not in repr(keyed.settings)


def test_a_negated_sentence_is_dropped(generative: QAService, scripted: ScriptedModel) -> None:
    n = rank_of(generative, FACT)
    scripted.script = Script(
        f"The border between Iraq and Iran measures 1,458 kilometers [{n}]. "
        f"The border was not approved by the Algiers Agreements [{n}]."
    )
    response = generative.ask(AskRequest(question=QUESTION))
    assert response.answer == "The border between Iraq and Iran measures 1,458 kilometers [1]."
    assert response.dropped_claims == 1
