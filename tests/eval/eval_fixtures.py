"""Builders for the eval tests: a small corpus, gold items and service responses pointing into it.

The document's sentences are taken (some shortened) from the project corpus; offsets are always
computed with `str.find`, never written by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from eval.dataset import EvalItem, Evidence
from eval.metrics.support import THRESHOLD, SupportScorer
from eval.records import ItemRecord, RunInfo
from eval.scoring import score_item
from qa_service.schemas import AskResponse, Citation, Passage

DOC_ID = "iraq-facts"
TEXT = """= Iraq facts =

Iraq is a founding member of the Arab League since 1945. Iraq is a founding member of OPEC since 1960.

== Relations with Turkey ==

The Kirkuk-Ceyhan Oil Pipeline allowed Iraq in 2014 to deliver up to 400,000 barrels of oil per day via Turkey. Between 2014 and 2018, Turkey closed its consulate in Mosul because of the taking hostage of its diplomats in this city by the Islamic State group.

== In Syria ==

When fires broke out in Latakia this summer, Baghdad acted with rare speed, dispatching full firefighting teams through the Iraqi Ministry of Interior.
"""  # noqa: E501 - one paragraph per line, as in the corpus

ARAB_LEAGUE = "Iraq is a founding member of the Arab League since 1945."
OPEC = "Iraq is a founding member of OPEC since 1960."
PIPELINE = (
    "The Kirkuk-Ceyhan Oil Pipeline allowed Iraq in 2014 to deliver up to 400,000 barrels of oil "
    "per day via Turkey."
)
CONSULATE = (
    "Between 2014 and 2018, Turkey closed its consulate in Mosul because of the taking hostage of "
    "its diplomats in this city by the Islamic State group."
)
FIRES = (
    "When fires broke out in Latakia this summer, Baghdad acted with rare speed, dispatching full "
    "firefighting teams through the Iraqi Ministry of Interior."
)
SECTIONS = {
    ARAB_LEAGUE: "Introduction",
    OPEC: "Introduction",
    PIPELINE: "Relations with Turkey",
    CONSULATE: "Relations with Turkey",
    FIRES: "In Syria",
}


def texts() -> dict[str, str]:
    return {DOC_ID: TEXT}


def span_of(quote: str) -> tuple[int, int]:
    start = TEXT.find(quote)
    assert start >= 0, f"not in the fixture document: {quote!r}"
    return start, start + len(quote)


def citation(marker: int, quote: str) -> Citation:
    start, end = span_of(quote)
    return Citation(
        marker=marker,
        doc_id=DOC_ID,
        title="Iraq facts",
        section=SECTIONS[quote],
        quote=quote,
        start=start,
        end=end,
        chunk_id=f"{DOC_ID}:{start}",
        support=1.0,
    )


def passage(rank: int, quote: str) -> Passage:
    start, end = span_of(quote)
    return Passage(
        rank=rank,
        chunk_id=f"{DOC_ID}:{start}",
        doc_id=DOC_ID,
        title="Iraq facts",
        section=SECTIONS[quote],
        text=quote,
        start=start,
        end=end,
        score=1.0 / rank,
    )


def response(
    answer: str,
    citations: Sequence[Citation] = (),
    passages: Sequence[Passage] = (),
    *,
    abstained: bool = False,
    total_ms: float = 12.0,
) -> AskResponse:
    return AskResponse(
        answer=answer,
        abstained=abstained,
        citations=list(citations),
        passages=list(passages),
        query=answer,
        timings_ms={"embed": total_ms / 2, "total": total_ms},
    )


def evidence(quote: str) -> Evidence:
    return Evidence(doc_id=DOC_ID, quote=quote, section=SECTIONS[quote])


def item(
    id: str,
    question: str,
    answer: str = "",
    quotes: Sequence[str] = (),
    *,
    type: str = "factoid",
    split: str = "test",
    aliases: Sequence[str] = (),
    answer_items: Sequence[str] = (),
    history: Sequence[tuple[str, str]] = (),
) -> EvalItem:
    answerable = bool(answer)
    return EvalItem.model_validate(
        {
            "id": id,
            "split": split,
            "type": type if answerable else "unanswerable",
            "question": question,
            "history": [{"role": role, "content": text} for role, text in history],
            "answerable": answerable,
            "answer": answer,
            "aliases": list(aliases),
            "answer_items": list(answer_items),
            "evidence": [evidence(quote) for quote in quotes],
        }
    )


# The questions the fake service (eval_fake_service.py) knows, with its canned answers: one
# right answer, one abstention on an unanswerable question, one unfaithful answer (a changed
# number) to a question carrying HTML, and one follow-up.
ITEMS = (
    item("q-arab-league", "When did Iraq join the Arab League?", "1945", [ARAB_LEAGUE]),
    item("q-bird", "What is the national bird of Iraq?", split="dev"),
    item(
        "q-pipeline",
        "<script>alert('x')</script> How much oil per day went via Turkey in 2014?",
        "400,000 barrels",
        [PIPELINE],
        type="number",
    ),
    item(
        "q-consulate",
        "And when did Turkey close its consulate in Mosul?",
        "2014",
        [CONSULATE],
        type="date",
        split="dev",
        history=[("user", "How much oil went via Turkey?"), ("assistant", "400,000 barrels [1].")],
    ),
)
RESPONSES = {
    "q-arab-league": response(
        "Iraq has been a founding member of the Arab League since 1945 [1].",
        [citation(1, ARAB_LEAGUE)],
        [passage(1, OPEC), passage(2, ARAB_LEAGUE), passage(3, FIRES)],
    ),
    "q-bird": response("The sources do not say.", abstained=True),
    "q-pipeline": response(
        "In 2014 the Kirkuk-Ceyhan pipeline carried up to 900,000 barrels of oil per day [1].",
        [citation(1, PIPELINE)],
        [passage(1, PIPELINE)],
        total_ms=30.0,
    ),
    "q-consulate": response(
        "Turkey closed its consulate in Mosul between 2014 and 2018 [1].",
        [citation(1, CONSULATE)],
        [passage(1, CONSULATE), passage(2, PIPELINE)],
    ),
}


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{DOC_ID}.txt").write_text(TEXT, encoding="utf-8")
    return folder


def write_eval_set(path: Path, items: Sequence[EvalItem] = ITEMS) -> Path:
    lines = [json.dumps(item.model_dump(mode="json")) for item in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scored_records(
    scorer: SupportScorer, responses: dict[str, AskResponse] = RESPONSES
) -> list[ItemRecord]:
    """The fixture items scored as the runner would, with made-up wall times 100, 110, ... ms."""
    return [
        ItemRecord(
            item=fixture,
            response=responses[fixture.id],
            wall_ms=100.0 + 10 * position,
            score=score_item(fixture, responses[fixture.id], texts(), scorer),
        )
        for position, fixture in enumerate(ITEMS)
    ]


def run_info(split: str = "all") -> RunInfo:
    return RunInfo(
        created="2025-01-01T00:00:00+00:00",
        split=split,
        target="tests.eval.eval_fake_service:app",
        eval_set="fixture",
        embedding_model="all-MiniLM-L6-v2",
        support_threshold=THRESHOLD,
    )
