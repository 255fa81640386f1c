"""Passages -> a chat model's sentences -> claims citing the sentence spans that say them.

`GenerativeAnswerer` sends the question, the history and the top passages, numbered `[1]`..`[k]`
in rank order, to any OpenAI-compatible chat-completions endpoint and reads the reply as it
streams. Each finished sentence becomes a claim: its `[n]` markers name passages, and the claim
cites the sentences of those passages that best carry its words and meaning, so every citation
is an exact span of a document. A sentence with no marker, or one outside 1..k, cites nothing;
grounding (`Grounder`) then drops it, like anything its quotes do not support.

Endpoint failures raise one of the `ModelEndpointError` kinds below; the pipeline falls back to
the extractive answer or reports the error, never an unchecked sentence.

    ModelEndpointError
    ├── ModelUnavailableError   the endpoint cannot be reached
    ├── ModelTimeoutError       no answer in RAG_LLM_TIMEOUT seconds
    ├── ModelRateLimitedError   HTTP 429; `retry_after` seconds, when the endpoint says
    └── ModelResponseError      an HTTP error, or a reply that is not a chat completion
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import openai
from openai.types.chat import ChatCompletionMessageParam

from indexer.analysis import DEFAULT_ANALYZER, terms
from indexer.chunking import Sentence
from indexer.embedding import Vectors
from indexer.store import CorpusView
from qa_service.answering.roles import AnswerContext, Claim, Draft, Source
from qa_service.retrieval import Hit
from qa_service.settings import Settings

logger = logging.getLogger(__name__)

DECLINE = "The passages do not answer the question."
MODEL_DECLINED = "the language model found no answer in the passages"
SYSTEM_PROMPT = f"""You answer questions using only the numbered passages you are given.
Write one to three short sentences, each taken from a passage, and end every sentence with the \
number of the passage that says it, in square brackets.
Never write anything the passages do not say. If the passages do not answer the question, \
write only: {DECLINE}"""
# One worked exchange before the real one: small models follow an example better than a rule.
EXAMPLE = (
    "Passages:\n\n[1] The Eiffel Tower is in Paris. It was completed in 1889.\n\n"
    "[2] The Louvre is the world's most-visited museum.\n\n"
    "Question: When was the Eiffel Tower completed?",
    "The Eiffel Tower was completed in 1889 [1].",
)
# "[1]", "[1][2]", "[1, 2]" and "[1,2]": one group of markers.
_MARKERS = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
_LEADING_MARKERS = re.compile(r"(?:\[\s*\d+(?:\s*,\s*\d+)*\s*\]\s*)+[.!?…]*")
_MARKER_CHARS = re.compile(r"^\[[\[\]\d,\s.!?…]*$")  # markers, perhaps unfinished
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?…])")
_LIST_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# The model saying the passages hold no answer, in the prompt's words or close to them.
_DECLINED = re.compile(
    r"\b(?:passages?|sources?|context|documents?|texts?)\b[^.]*\b(?:do|does|did)\s*(?:n['’]t|not)"
    r"\s+(?:answer|say|mention|contain|provide|state|include|specify)|"
    r"\b(?:no|not enough) information\b|\bcannot (?:be )?answer",
    re.IGNORECASE,
)


class ModelEndpointError(Exception):
    """The chat model could not give an answer; the message says why and what to do."""


class ModelUnavailableError(ModelEndpointError):
    pass


class ModelTimeoutError(ModelEndpointError):
    pass


class ModelRateLimitedError(ModelEndpointError):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelResponseError(ModelEndpointError):
    pass


@dataclass(frozen=True)
class GenerationParams:
    base_url: str
    model: str
    timeout: float
    max_tokens: int
    temperature: float
    passages: int
    similarity_weight: float  # claim -> sentence: w * cosine + (1 - w) * share of claim terms

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerationParams:
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            timeout=settings.llm_timeout,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            passages=settings.llm_passages,
            similarity_weight=settings.answer_similarity_weight,
        )


@dataclass(frozen=True)
class Marked:
    """One generated sentence: its text without markers, and the passage numbers it cites."""

    text: str
    markers: tuple[int, ...]


def parse_markers(sentence: str) -> Marked:
    """'It is 1,458 km long [1][3].' -> ('It is 1,458 km long.', (1, 3)); '[2, 4]' counts too."""
    numbers: list[int] = []
    for group in _MARKERS.finditer(sentence):
        numbers += [int(n) for n in group.group(1).split(",")]
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _MARKERS.sub("", sentence))
    return Marked(" ".join(text.split()), tuple(dict.fromkeys(numbers)))


def declines(sentence: str) -> bool:
    """Whether the sentence says the passages do not hold the answer."""
    return bool(_DECLINED.search(sentence))


class SentenceReader:
    """Generated text, fed in pieces -> whole sentences, each released once the next one starts.

    A line break ends a sentence; markers written after the full stop ("... 1975. [2]") stay
    with the sentence before them, so a sentence is held back while markers may still follow.
    """

    def __init__(self) -> None:
        self._rest = ""  # the unfinished line

    def feed(self, piece: str) -> list[str]:
        *lines, self._rest = (self._rest + piece).split("\n")
        sentences = [s for line in lines for s in _sentences(line)]
        rest = _LIST_BULLET.sub("", self._rest)
        spans = _sentence_spans(rest)
        # The last sentence may still grow; if it is only markers so far, so may the one before.
        hold = 2 if len(spans) > 1 and _MARKER_CHARS.match(rest[spans[-1][0] :]) else 1
        sentences += [rest[a:b] for a, b in spans[:-hold]]
        self._rest = rest[spans[-hold][0] :] if spans else rest
        return sentences

    def close(self) -> list[str]:
        rest, self._rest = self._rest, ""
        return _sentences(rest)


def _sentences(line: str) -> list[str]:
    line = _LIST_BULLET.sub("", line)
    return [line[a:b] for a, b in _sentence_spans(line)]


def _sentence_spans(line: str) -> list[tuple[int, int]]:
    """The line's sentences; markers that open a piece ("1975. [2] The ...") close the one
    before it."""
    spans: list[tuple[int, int]] = []
    for start, end in DEFAULT_ANALYZER.sentences(line, 0, len(line)):
        leading = _LEADING_MARKERS.match(line, start, end)
        if spans and leading:
            spans[-1] = (spans[-1][0], leading.end())
            start = leading.end()
            while start < end and line[start].isspace():
                start += 1
        if start < end:
            spans.append((start, end))
    return spans


class GenerativeAnswerer:
    """Drafts with a chat model through the official `openai` client; see the module docstring."""

    def __init__(
        self,
        embed: Callable[[str], Vectors],
        params: GenerationParams,
        api_key: str,
    ) -> None:
        self._embed = embed
        self._params = params
        # No retries here: a rate limit or an outage falls back at once instead of stalling.
        self._client = openai.OpenAI(
            base_url=params.base_url, api_key=api_key, timeout=params.timeout, max_retries=0
        )

    def draft(self, context: AnswerContext) -> Draft:
        claims: list[Claim] = []
        reason = None
        for piece in self.stream(context):
            claims += piece.claims
            reason = reason or piece.abstention_reason
        return Draft(claims, reason)

    def stream(self, context: AnswerContext) -> Iterator[Draft]:
        hits = context.hits[: self._params.passages]
        if not hits:
            yield Draft([], "no passage was found")
            return
        reader = SentenceReader()
        declined = False
        for piece in self._complete(self.messages(context, hits)):
            for sentence in reader.feed(piece):
                declined |= declines(sentence)
                yield self._claims([sentence], hits, context.corpus)
        sentences = reader.close()
        declined |= any(declines(s) for s in sentences)
        yield self._claims(sentences, hits, context.corpus, MODEL_DECLINED if declined else None)

    def messages(
        self, context: AnswerContext, hits: Sequence[Hit]
    ) -> list[ChatCompletionMessageParam]:
        """The instructions and an example, the earlier turns, then the numbered passages and
        the question."""
        passages = "\n\n".join(f"[{n}] {hit.chunk.text}" for n, hit in enumerate(hits, 1))
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": EXAMPLE[0]},
            {"role": "assistant", "content": EXAMPLE[1]},
        ]
        for turn in context.history:
            if turn.role == "user":
                messages.append({"role": "user", "content": turn.content})
            else:
                messages.append({"role": "assistant", "content": parse_markers(turn.content).text})
        messages.append(
            {"role": "user", "content": f"Passages:\n\n{passages}\n\nQuestion: {context.asked}"}
        )
        return messages

    def _claims(
        self,
        sentences: Iterable[str],
        hits: Sequence[Hit],
        corpus: CorpusView,
        reason: str | None = None,
    ) -> Draft:
        claims = []
        for sentence in sentences:
            if declines(sentence):
                continue  # not a claim: the model says there is no answer
            marked = parse_markers(sentence)
            if not marked.text:
                continue
            in_range = bool(marked.markers) and all(1 <= n <= len(hits) for n in marked.markers)
            sources = self._localise(marked, hits, corpus) if in_range else ()
            claims.append(Claim(marked.text, sources))
        return Draft(claims, reason)

    def _localise(
        self, marked: Marked, hits: Sequence[Hit], corpus: CorpusView
    ) -> tuple[Source, ...]:
        """The sentences of the cited passages that best say the claim: the best one, and a
        second when it carries claim terms the first lacks (a claim merging two sentences)."""
        origin: dict[int, str] = {}
        for n in marked.markers:
            chunk = hits[n - 1].chunk
            for row in range(*chunk.sentence_rows):
                origin.setdefault(row, chunk.id)
        rows = list(origin)
        sentences = [corpus.sentences[row] for row in rows]
        claim_terms = set(terms(marked.text))
        cosine = np.asarray(corpus.sentence_vectors[rows] @ self._embed(marked.text)[0])
        w = self._params.similarity_weight
        scores = [
            w * float(c) + (1 - w) * _coverage(claim_terms, s)
            for c, s in zip(cosine.tolist(), sentences, strict=True)
        ]
        best = int(np.argmax(scores))
        chosen = [best]
        missing = claim_terms - set(sentences[best].terms)
        if missing:
            gains = [len(missing & set(s.terms)) for s in sentences]
            second = int(np.argmax(gains))
            if gains[second] and second != best:
                chosen.append(second)
        chosen.sort(key=lambda i: (sentences[i].doc_id, sentences[i].start))
        return tuple(
            Source(sentences[i].doc_id, sentences[i].start, sentences[i].end, origin[rows[i]])
            for i in chosen
        )

    def _complete(self, messages: list[ChatCompletionMessageParam]) -> Iterator[str]:
        """The reply's text in pieces as the model writes it; endpoint failures mapped."""
        p = self._params
        where = f"the language model at {p.base_url}"
        received = False
        try:
            stream = self._client.chat.completions.create(
                model=p.model,
                messages=messages,
                max_tokens=p.max_tokens,
                temperature=p.temperature,
                stream=True,
            )
            with stream:
                for chunk in stream:
                    for choice in chunk.choices:
                        if choice.delta.content:
                            received = True
                            yield choice.delta.content
        except openai.APITimeoutError as error:
            raise ModelTimeoutError(
                f"{where} went {p.timeout:g} s without sending anything: raise "
                "RAG_LLM_TIMEOUT, or use a faster model"
            ) from error
        except openai.APIConnectionError as error:
            raise ModelUnavailableError(
                f"{where} cannot be reached ({error.__class__.__name__}): start it "
                "(`make serve-llm` serves the bundled model) or fix RAG_LLM_BASE_URL"
            ) from error
        except openai.RateLimitError as error:
            retry_after = _retry_after(error.response.headers.get("retry-after"))
            wait = f" for {retry_after:g} s" if retry_after is not None else ""
            raise ModelRateLimitedError(
                f"{where} is rate-limiting requests: wait{wait} and ask again", retry_after
            ) from error
        except openai.APIStatusError as error:
            raise ModelResponseError(
                f"{where} answered HTTP {error.status_code}: check RAG_LLM_MODEL and "
                "RAG_LLM_API_KEY, and the endpoint's log"
            ) from error
        except (openai.APIError, ValueError) as error:  # a body that is not a chat completion
            raise ModelResponseError(
                f"{where} sent a reply that is not a chat completion ({error.__class__.__name__})"
                ": is RAG_LLM_BASE_URL an OpenAI-compatible /v1 endpoint?"
            ) from error
        if not received:
            raise ModelResponseError(
                f"{where} sent no answer text: is RAG_LLM_BASE_URL an OpenAI-compatible /v1 "
                "endpoint? Its log may say more"
            )


def _coverage(claim_terms: set[str], sentence: Sentence) -> float:
    if not claim_terms:
        return 0.0
    return len(claim_terms & set(sentence.terms)) / len(claim_terms)


def _retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None  # an HTTP date: rare from model servers, and the wait is then unknown
