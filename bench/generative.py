"""Generative answers in process: what the judge drops and why, hits, abstention, timings.

    make serve-llm &                       # or RAG_LLM_BASE_URL=... of any OpenAI-compatible API
    python bench/generative.py [--corpus shipped] [--questions N] [--examples K]

Asks the first N questions of an eval corpus's test split (answerable and not, as `rag-eval run
--limit N` does) through `QAService.stream`, as /ask/stream does, on the corpus's own eval index
(built under var/eval/indexes when missing). A sentence counts as sent once grounding has judged
it. Every generated sentence the judge drops is counted under its reason; `--examples` prints
some of each (the claim, the quote it was judged against, the reason) and the model's raw
replies. The answer cache is off. The bundled model is tiny: its answers measure the
pipeline's cost and how much of a weak model's output survives, not answer quality.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.corpora import SHIPPED, get_corpus
from eval.dataset import EvalItem, load_eval_set
from eval.indexes import corpus_settings, ensure_index
from eval.metrics.answer import answer_hit
from eval.metrics.latency import percentile  # nearest rank, p in percent
from qa_service.answering import AnswerContext, Draft, StreamingAnswerer, SupportJudge
from qa_service.answering.roles import Verdict
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest, AskResponse, DeltaEvent

NO_MARKER = "cites no span (the generative answerer: a sentence about the passages)"
# Judge reasons name the words at fault; these patterns sort them into kinds.
KINDS = (
    (re.compile(r"gives no figure|says \S*\d\S*,? not"), "a number the quote does not give"),
    (re.compile(r"says \S+ \S+, not"), "a unit the quote does not give"),
    (re.compile(r"says [A-Z][a-z]+, not"), "a month the quote does not give"),
    (re.compile(r"negat"), "negation"),
    (re.compile(r"does not mention"), "a name or month the quote does not mention"),
    (re.compile(r"says with"), "content words the quote lacks"),
    (re.compile(r"not in this relation"), "the quote's words in another relation"),
)


def kind_of(reason: str | None) -> str:
    for pattern, kind in KINDS:
        if reason and pattern.search(reason):
            return kind
    return reason or "(no reason given)"


@dataclass
class Record:
    """Every claim the answerer drafted and every verdict the judge gave, in order."""

    claims: int = 0
    unplaced: list[str] = field(default_factory=list)  # claims citing no span: dropped
    verdicts: list[tuple[str, str, Verdict]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


class RecordingAnswerer:
    def __init__(self, inner: StreamingAnswerer, record: Record) -> None:
        self._inner = inner
        self._record = record

    def draft(self, context: AnswerContext) -> Draft:
        raise NotImplementedError("the service streams a generative answerer")

    def stream(self, context: AnswerContext) -> Iterator[Draft]:
        for piece in self._inner.stream(context):
            self._record.claims += len(piece.claims)
            self._record.unplaced += [c.text for c in piece.claims if not c.sources]
            yield piece


class RecordingJudge:
    def __init__(self, inner: SupportJudge, record: Record) -> None:
        self._inner = inner
        self._record = record

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        verdicts = self._inner.judge(pairs)
        self._record.verdicts += [(c, q, v) for (c, q), v in zip(pairs, verdicts, strict=True)]
        return verdicts


class ReplyLog(logging.Handler):
    """The model's raw replies, which the answerer logs at DEBUG."""

    def __init__(self, record: Record) -> None:
        super().__init__(logging.DEBUG)
        self._record = record

    def emit(self, entry: logging.LogRecord) -> None:
        if entry.getMessage().startswith("model reply: "):
            self._record.replies.append(entry.getMessage().removeprefix("model reply: "))


@dataclass
class Tally:
    answered: int = 0
    hits: int = 0
    unanswerable: int = 0
    abstained_unanswerable: int = 0
    abstained_answerable: int = 0
    fallbacks: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # why answerable ones abstained
    kept: int = 0
    first: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)


def ask(service: QAService, item: EvalItem, tally: Tally) -> None:
    history = [turn.model_dump() for turn in item.history]
    request = AskRequest.model_validate({"question": item.question, "history": history})
    events = list(service.stream(request))
    response = events[-1]
    assert isinstance(response, AskResponse)
    if response.answerer == "extractive-fallback":
        tally.fallbacks += 1
    tally.kept += sum(1 for e in events if isinstance(e, DeltaEvent) and e.citations)
    tally.total.append(response.timings_ms["total"])
    if "first_sentence" in response.timings_ms:
        tally.first.append(response.timings_ms["first_sentence"])
    if not item.answerable:
        tally.unanswerable += 1
        tally.abstained_unanswerable += response.abstained
        return
    tally.answered += 1
    if response.abstained:
        tally.abstained_answerable += 1
        tally.reasons[response.abstention_reason or "(no reason given)"] += 1
    elif answer_hit(response.answer, (item.answer, *item.aliases), item.answer_items):
        tally.hits += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=SHIPPED, help="an eval corpus (eval/corpora.py)")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--examples", type=int, default=0, help="dropped claims shown per kind")
    args = parser.parse_args()
    corpus = get_corpus(args.corpus)
    service = open_service(corpus.name)
    items = list(load_eval_set(corpus.gold).split("test"))[: args.questions]
    tally, record = run(service, items)
    report(args.corpus, service.settings.llm_model, items, tally, record, args.examples)


def open_service(corpus: str) -> QAService:
    """The generative service on the corpus's eval index (built when missing), cache off."""
    settings = corpus_settings(get_corpus(corpus)).model_copy(
        update={"answerer": "generative", "cache_bytes": 0}
    )
    ensure_index(settings)
    return QAService(settings)


def run(service: QAService, items: list[EvalItem]) -> tuple[Tally, Record]:
    """Ask every item, recording what the answerer drafted and what the judge said."""
    record = Record()
    roles = service.roles
    assert isinstance(roles.answerer, StreamingAnswerer)
    service.roles = replace(
        service.roles,
        answerer=RecordingAnswerer(service.roles.answerer, record),
        judge=RecordingJudge(service.roles.judge, record),
    )
    logging.getLogger("qa_service.pipeline").setLevel(logging.ERROR)  # one warning per drop
    replies = logging.getLogger("qa_service.answering.generative")
    replies.setLevel(logging.DEBUG)
    handler = ReplyLog(record)
    replies.addHandler(handler)
    tally = Tally()
    try:
        for item in items:
            ask(service, item, tally)
    finally:
        service.roles = roles
        replies.removeHandler(handler)
    return tally, record


def report(
    corpus: str, model: str, items: list[EvalItem], tally: Tally, record: Record, examples: int
) -> None:
    dropped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for claim in record.unplaced:
        dropped[NO_MARKER].append((claim, ""))
    for claim, quote, verdict in record.verdicts:
        if not verdict.supported:
            dropped[kind_of(verdict.reason)].append((claim, f"{quote}  <- {verdict.reason}"))
    generated = record.claims
    print(f"{corpus}: the first {len(items)} test questions, model {model}")
    print(
        f"answerable {tally.answered}: answer hit {tally.hits / max(tally.answered, 1):.1%}, "
        f"abstained {tally.abstained_answerable}; unanswerable {tally.unanswerable}: "
        f"abstained {tally.abstained_unanswerable}; extractive fallbacks {tally.fallbacks}"
    )
    for reason, count in tally.reasons.most_common():
        print(f"  {count:4d}  answerable, abstained: {reason}")
    lost = sum(len(v) for v in dropped.values())
    if generated:
        print(
            f"generated sentences {generated}: kept {tally.kept}, dropped {lost} "
            f"({lost / generated:.1%})"
        )
    for kind, count in Counter({k: len(v) for k, v in dropped.items()}).most_common():
        print(f"  {count:4d}  {kind}")
        for claim, quote in dropped[kind][:examples]:
            print(f"          claim: {claim}\n          quote: {quote}" if quote else f"  {claim}")
    if tally.first:
        print(
            f"first checked sentence p50 / p95: {percentile(tally.first, 50):.0f} / "
            f"{percentile(tally.first, 95):.0f} ms ({len(tally.first)} answers with one)"
        )
    print(
        f"total per answer p50 / p95: {percentile(tally.total, 50):.0f} / "
        f"{percentile(tally.total, 95):.0f} ms"
    )
    rewritten = [(c, q) for c, q, v in record.verdicts if v.supported and v.score < 1]
    if rewritten:
        print(f"kept, not verbatim: {len(rewritten)}")
    for claim, quote in rewritten[:examples]:
        print(f"          claim: {claim}\n          quote: {quote}")
    for reply in record.replies[: examples * 3]:
        print(f"reply: {reply}")


if __name__ == "__main__":
    main()
