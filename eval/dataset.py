"""The gold eval set: questions over the corpus with answers, aliases and evidence quotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

EVAL_SET = Path(__file__).parent / "data" / "eval_set.jsonl"

QuestionType = Literal[
    "factoid",  # a single fact: who, what, where
    "date",  # the answer is a date or a year
    "number",  # the answer is a number or a quantity
    "entity",  # the answer is a person, country, organisation or place
    "list",  # the answer is several items, all of which must appear
    "why",  # a cause or a reason
    "comparison",  # two things set against each other
    "multi_hop",  # needs two passages (across sections or across the two documents)
    "paraphrase",  # shares few words with the text that answers it
    "rare_name",  # hinges on a rare name or term
    "unanswerable",  # plausible, but the corpus does not answer it
]


class Turn(BaseModel, frozen=True):
    role: Literal["user", "assistant"]
    content: str


class Evidence(BaseModel, frozen=True):
    doc_id: str
    quote: str  # an exact substring of the document's text
    section: str  # the section path the quote sits in, as the indexer names it


class EvalItem(BaseModel, frozen=True):
    id: str
    split: Literal["dev", "test"]
    type: QuestionType
    question: str
    history: tuple[Turn, ...] = ()  # earlier turns, for a follow-up question
    answerable: bool
    answer: str = ""  # the gold short answer ("" when unanswerable)
    aliases: tuple[str, ...] = ()  # other acceptable forms of the answer
    answer_items: tuple[str, ...] = ()  # for lists: every item must appear in the answer
    evidence: tuple[Evidence, ...] = ()  # for an unanswerable item: the near miss, if any
    notes: str = ""

    @property
    def is_follow_up(self) -> bool:
        return bool(self.history)

    @model_validator(mode="after")
    def _consistent(self) -> EvalItem:
        if self.answerable and not (self.answer and self.evidence):
            raise ValueError(f"{self.id}: an answerable item needs an answer and evidence")
        if not self.answerable and (self.answer or self.aliases or self.answer_items):
            raise ValueError(f"{self.id}: an unanswerable item has no gold answer")
        if (self.type == "unanswerable") == self.answerable:
            raise ValueError(f"{self.id}: type 'unanswerable' if and only if not answerable")
        return self


class EvalSet(BaseModel, frozen=True):
    items: tuple[EvalItem, ...] = Field(min_length=1)

    def split(self, name: str) -> list[EvalItem]:
        return [item for item in self.items if name in ("all", item.split)]


def load_eval_set(path: Path = EVAL_SET) -> EvalSet:
    lines = path.read_text(encoding="utf-8").splitlines()
    items = [EvalItem.model_validate(json.loads(line)) for line in lines if line.strip()]
    return EvalSet(items=tuple(items))
