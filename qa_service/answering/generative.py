"""Passages -> a chat model's sentences -> claims citing the sentence spans that say them.

`GenerativeAnswerer` sends the history, the top passages (of each, the sentences closest to the
question), numbered `[1]`..`[k]` in rank order, and the question to any OpenAI-compatible
chat-completions endpoint and reads the reply as it streams. Each finished sentence becomes a
claim: its `[n]` markers name passages, and the claim cites the shown sentences of those
passages that best carry its words and meaning (of every shown passage when it has no marker in
1..k), so every citation is an exact span of a document. Grounding (`Grounder`) then drops any
claim its quotes do not support, and a sentence about the passages, which cites nothing.

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
from qa_service.settings import Settings

logger = logging.getLogger(__name__)

DECLINE = "The passages do not answer the question."
MODEL_DECLINED = "the language model found no answer in the passages"
# After the passages and the question, where a small model still reads them; measured on the eval
# corpora (bench/generative.py), this keeps more of its sentences than a system prompt with a
# worked example, which SmolLM2-135M mostly ignored and sometimes repeated as its answer.
INSTRUCTIONS = (
    "Answer the question in one short sentence, using the words of the passage that answers it, "
    f"and end it with that passage's number, like [1]. If no passage answers it, write: {DECLINE}"
)
# A blank line ends the answer: small models go on to repeat the passages or invent new ones.
STOP = ["\n\n"]
# One group of markers: "[1]", "[1, 2]", "[1,2]", "[1 and 2]", "[Passage 1]", and the slips of
# small models "(1)" and "(Passage 2)"; in parentheses only one or two digits, so "(1953)" stays.
_MARKER = (
    r"\[\s*(?:passages?\s*)?(\d+(?:\s*(?:,|and)\s*\d+)*)\s*\]"
    r"|\(\s*(?:passages?\s*)?(\d{1,2}(?:\s*(?:,|and)\s*\d{1,2})*)\s*\)"
)
_MARKERS = re.compile(_MARKER, re.IGNORECASE)
_LEADING_MARKERS = re.compile(rf"(?:(?:{_MARKER})\s*)+[.!?…]*", re.IGNORECASE)
# Markers, perhaps unfinished ("[Pass"): the sentence before may still get them.
_MARKER_CHARS = re.compile(r"^[\[(](?:\s*[a-z]{0,8})?[\[\]()\d,\s.!?…]*$", re.IGNORECASE)
_NUMBER_SEPARATOR = re.compile(r"\s*(?:,|and)\s*")
# A frame around the claim that says nothing itself: "The answer to the question is: X",
# "According to passage 2, X", "The passage says that X"; the claim is X, quotes removed.
_FRAME = re.compile(
    r"^(?:(?:the )?answer(?: to (?:the|this) question)? is(?::|\s+(?=[\"“]))"
    r"|(?:according to|as stated in|based on) (?:the )?(?:passages?|sources?|texts?)(?: \d+)?,"
    r"|(?:the )?(?:passages?|sources?|texts?)(?: \d+)? (?:says|states|explains|notes)(?: that)?,?)"
    r"\s*[\"“]?(?P<claim>.*?)[\"”]?(?P<end>[.!?…]*)[\"”]?$",
    re.IGNORECASE,
)
# A sentence about the passages rather than about what they say ("The passage provides a clear
# overview of ..."): small models write them often, and they claim nothing a quote can support.
_ABOUT_PASSAGES = re.compile(
    r"^(?:the |these |both )?(?:passages?|sources?|texts?|excerpts?)(?: \d+)? (?:\w+ )?"
    r"(?:provides?|describes?|discuss(?:es)?|gives?|offers?|highlights?|focus(?:es)?|"
    r"covers?|presents?|is about|are about)\b",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?…])")
_LIST_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# The model saying the passages hold no answer, in the prompt's words or close to them.
_DECLINED = re.compile(
    r"\b(?:passages?|sources?|context|documents?|texts?|articles?|excerpts?)\b[^.]*"
    r"\b(?:do|does|did)\s*(?:n['’]t|not)\s+(?:answer|say|mention|contain|provide|state|include|"
    r"specify)|\b(?:passages?|sources?|context|texts?|articles?)\b[^.]*\bha(?:s|ve) no answer\b|"
    r"\b(?:no|not enough) information\b|\bcannot (?:be )?answer|"
    r"\b(?:the )?answer\b[^.]*\b(?:is|was) not (?:provided|given|mentioned|stated|found)\b|"
    r"\b(?:is|are) not (?:about|relevant to|applicable to) the question\b",
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
    sentences: int  # of each passage, the ones closest to the query
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
            sentences=settings.llm_passage_sentences,
            similarity_weight=settings.answer_similarity_weight,
        )


@dataclass(frozen=True)
class Shown:
    """A passage as the model is shown it: some of its chunk's sentences."""

    chunk_id: str
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return " ".join(sentence.text for sentence in self.sentences)


@dataclass(frozen=True)
class Marked:
    """One generated sentence: its text without markers, and the passage numbers it cites."""

    text: str
    markers: tuple[int, ...]


def parse_markers(sentence: str) -> Marked:
    """'It is 1,458 km long [1][3].' -> ('It is 1,458 km long.', (1, 3)); '[2, 4]' counts too."""
    numbers: list[int] = []
    for group in _MARKERS.finditer(sentence):
        numbers += [int(n) for n in _NUMBER_SEPARATOR.split(group.group(1) or group.group(2))]
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _MARKERS.sub("", sentence))
    return Marked(" ".join(text.split()), tuple(dict.fromkeys(numbers)))


def unframed(claim: str) -> str:
    """'The answer to the question is: "It is long."' -> 'It is long.'"""
    framed = _FRAME.match(claim)
    if framed is None or not framed["claim"]:
        return claim
    return framed["claim"][0].upper() + framed["claim"][1:] + framed["end"]


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
        passages = self.shown(context)
        if not passages:
            yield Draft([], "no passage was found")
            return
        reader = SentenceReader()
        declined = False
        reply: list[str] = []
        for piece in self._complete(self.messages(context, passages)):
            reply.append(piece)
            for sentence in reader.feed(piece):
                declined |= declines(sentence)
                yield self._claims([sentence], passages, context.corpus)
        logger.debug("model reply: %r", "".join(reply))
        sentences = reader.close()
        declined |= any(declines(s) for s in sentences)
        yield self._claims(
            sentences, passages, context.corpus, MODEL_DECLINED if declined else None
        )

    def shown(self, context: AnswerContext) -> list[Shown]:
        """The top passages as the model sees them: of each, the sentences closest to the
        query, in document order (a small model copies from three short passages more
        faithfully than from three long ones)."""
        shown = []
        for hit in context.hits[: self._params.passages]:
            rows = list(range(*hit.chunk.sentence_rows))
            if not rows:
                continue
            cosine = np.asarray(context.corpus.sentence_vectors[rows] @ context.query.vector[0])
            best = sorted(np.argsort(-cosine, kind="stable")[: self._params.sentences].tolist())
            sentences = tuple(context.corpus.sentences[rows[i]] for i in best)
            shown.append(Shown(hit.chunk.id, sentences))
        return shown

    @staticmethod
    def messages(
        context: AnswerContext, passages: Sequence[Shown]
    ) -> list[ChatCompletionMessageParam]:
        """The earlier turns, then the numbered passages, the question and the instructions."""
        numbered = "\n\n".join(f"[{n}] {passage.text}" for n, passage in enumerate(passages, 1))
        messages: list[ChatCompletionMessageParam] = []
        for turn in context.history:
            if turn.role == "user":
                messages.append({"role": "user", "content": turn.content})
            else:
                messages.append({"role": "assistant", "content": parse_markers(turn.content).text})
        asked = f"Passages:\n\n{numbered}\n\nQuestion: {context.asked}\n\n{INSTRUCTIONS}"
        messages.append({"role": "user", "content": asked})
        return messages

    def _claims(
        self,
        sentences: Iterable[str],
        passages: Sequence[Shown],
        corpus: CorpusView,
        reason: str | None = None,
    ) -> Draft:
        claims = []
        for sentence in sentences:
            if declines(sentence) or sentence.rstrip().endswith("?"):
                continue  # not a claim: the model says there is no answer, or asks
            marked = parse_markers(sentence)
            text = unframed(marked.text)
            if not text:
                continue
            if _ABOUT_PASSAGES.match(text):
                claims.append(Claim(text, ()))  # cites nothing: dropped, and counted
                continue
            cited = [passages[n - 1] for n in marked.markers if 1 <= n <= len(passages)]
            # Small models often forget the marker or miscount: such a sentence is placed on
            # every passage shown, and the judge still decides whether its quotes say it.
            claims.append(Claim(text, self._localise(text, cited or passages, corpus)))
        return Draft(claims, reason)

    def _localise(
        self, claim: str, cited: Sequence[Shown], corpus: CorpusView
    ) -> tuple[Source, ...]:
        """The shown sentences of the cited passages that best say the claim: the best one,
        and a second when it carries claim terms the first lacks (a claim merging two)."""
        origin = {s.row: (s, passage.chunk_id) for passage in cited for s in passage.sentences}
        rows = list(origin)
        sentences = [origin[row][0] for row in rows]
        claim_terms = set(terms(claim))
        cosine = np.asarray(corpus.sentence_vectors[rows] @ self._embed(claim)[0])
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
        placed = sorted((sentences[i] for i in chosen), key=lambda s: (s.doc_id, s.start))
        return tuple(Source(s.doc_id, s.start, s.end, origin[s.row][1]) for s in placed)

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
                stop=STOP,
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
