"""Scored sentences -> answer or abstain: does the best evidence hold everything the question asks?

A near miss is on topic but lacks what is asked: the passage names the treaty but not the year,
the country but not the one asked about, the most but not the least. `PresuppositionGate` reads
how much of the question the best sentence window (the sentence with its neighbours) carries,
weighted by idf; words of the question the corpus has never seen; negation or a modifier
("least", "first") that the window does not repeat; whether the kind of answer asked for (a
quantity, a date, a name) is there; the rarest question term, a number or a name the window
lacks, and the question's neighbouring terms it does not keep together (a near miss swaps one
word of a phrase); whether the question puts a word of another meaning in the slot of a
window sentence's own ("concrete" where it says "abstract": the support judge's token states);
how close the closest sentence is to the question (cosine); and the sentence scorer's own
evidence. Two logistic regressions (off topic? near miss?) turn these
into one score (higher is more answerable), calibrated for the embedding model
(`calibration.py`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.analysis import asked_for, expected_answer_type, holds, name_terms, negated, terms
from indexer.chunking import Sentence
from indexer.store import CorpusView
from qa_service.answering.coverage import Coverage
from qa_service.answering.evidence import Candidate, SentenceScorer
from qa_service.answering.roles import AnswerContext, GateDecision, Question, Source
from qa_service.answering.shortanswer import has_short_answer

NO_PASSAGE = "no passage of the documents matches the question"
WEAK_EVIDENCE = "the closest passages do not say what the question asks"
MISSING = "the closest passages do not mention {terms}"

# Words that narrow what is asked to one end of a scale or a sequence.
_MODIFIER = re.compile(
    r"\b(?:most|least|first|last|largest|smallest|biggest|highest|lowest|best|worst|"
    r"earliest|latest|greatest|fewest|only|main|primary|more|less|fewer)\b",
    re.IGNORECASE,
)
# The sentences around the best one that may hold the rest of what the question asks.
WINDOW_BEFORE, WINDOW_AFTER = 1, 1
FEATURES = (
    "evidence",  # the sentence scorer's best evidence (typed, discounted for unknown names)
    "similarity",  # the best cosine between the question and a sentence of the passages
    "coverage",  # idf share of the question's terms in the best window
    "unknown",  # idf share of the question's terms that no passage of the corpus has
    "untyped",  # 1 when it asks for a quantity or date that no close sentence nor the window holds
    "negation",  # 1 when the question is negated and the best window is not
    "modifier",  # 1 when the question has "least", "first", ... and the best window lacks it
    "lacking_rare",  # idf of the rarest known question term the window lacks, over the rarest's
    "lacking_count",  # how many known question terms the window lacks (0, 1/3, 2/3, 1 for 3+)
    "numeral_missing",  # 1 when a number of the question ("15 cities", "2013") is not there
    "name_missing",  # 1 when a name of the question that the corpus has is not there
    "no_short",  # 1 when a fact question gets no short answer of its kind from the window
    "pairs",  # share of the question's neighbouring terms that are neighbours in the window too
    "changed",  # 1 when the question puts a word of another meaning in a window sentence's slot
)
# How many lacking terms "lacking_count" tells apart: three or more read the same.
LACKING_CAP = 3
# Terms between two of the window that still make a pair ("complexity of the circuit").
PAIR_GAP = 2


# The features that tell a question on the corpus's topic from one far from every passage.
TOPIC_FEATURES = ("evidence", "similarity", "coverage", "unknown")


@dataclass(frozen=True)
class Logistic:
    """A logistic regression over some of the gate's features."""

    weights: dict[str, float]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class GateModel:
    """Two regressions, each against answerable questions: one against questions far from the
    corpus (off topic), one against near misses. A question must pass both: its score is the
    lower probability, and it is answered when that reaches the threshold."""

    on_topic: Logistic  # over TOPIC_FEATURES
    near_miss: Logistic  # over FEATURES
    threshold: float

    def score(self, features: dict[str, float]) -> float:
        return min(self.on_topic.probability(features), self.near_miss.probability(features))


@dataclass(frozen=True)
class Reading:
    features: dict[str, float]  # one value per name in FEATURES
    missing: list[str]  # the question's rarest words that the best window lacks, quoted


def _pairs(sequence: Sequence[str], gap: int) -> set[frozenset[str]]:
    """Pairs of terms at most `gap` terms apart in `sequence`, in either order."""
    return {
        frozenset((a, b))
        for i, a in enumerate(sequence)
        for b in sequence[i + 1 : i + 2 + gap]
        if a != b
    }


def _pairs_kept(question: list[str], window: Window) -> float:
    """A near miss swaps one word of a phrase ("circuit simplicity" for "circuit complexity"):
    the share of the question's neighbouring term pairs that stand together in the window too
    (1 when the question has no pair)."""
    asked = _pairs(question, 0)
    if not asked:
        return 1.0
    found = set().union(*(_sentence_pairs(s.terms) for s in window.sentences))
    return len(asked & found) / len(asked)


@lru_cache(maxsize=4096)
def _sentence_pairs(sentence: tuple[str, ...]) -> frozenset[frozenset[str]]:
    """A sentence's term pairs, kept: its windows come up again for other questions."""
    return frozenset(_pairs(sentence, PAIR_GAP))


@dataclass(frozen=True)
class Window:
    sentences: tuple[Sentence, ...]

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(t for s in self.sentences for t in s.terms)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


class PresuppositionGate:
    def __init__(
        self,
        scorer: SentenceScorer,
        model: GateModel,
        typed_focus: float,
        coverage: Coverage | None = None,
    ) -> None:
        self._scorer = scorer
        self._model = model
        self._typed_focus = typed_focus
        # The support judge's reading of words in context, for `changed_slot` (none: no slot
        # is judged); shared with the judge, it locks its own caches.
        self._coverage = coverage

    def with_scorer(self, scorer: SentenceScorer) -> PresuppositionGate:
        """The same gate reading another scorer's sentences (the fit's masked passages)."""
        return PresuppositionGate(scorer, self._model, self._typed_focus, self._coverage)

    def decide(self, context: AnswerContext) -> GateDecision:
        reading = self.read(context)
        if reading is None:
            return GateDecision(False, 0.0, NO_PASSAGE)
        score = self._model.score(reading.features)
        if score >= self._model.threshold:
            return GateDecision(True, score)
        if reading.missing:
            return GateDecision(False, score, MISSING.format(terms=", ".join(reading.missing)))
        return GateDecision(False, score, WEAK_EVIDENCE)

    def read(self, context: AnswerContext) -> Reading | None:
        """The gate's features for these passages; None when they have no sentence at all."""
        candidates = self._scorer.candidates(context.query, context.hits, context.corpus)
        return self._features(context.query, candidates, context.corpus) if candidates else None

    def _features(
        self, question: Question, candidates: list[Candidate], corpus: CorpusView
    ) -> Reading:
        bm25 = corpus.bm25
        weights = {t: bm25.idf(t) for t in dict.fromkeys(question.terms)}  # in question order
        total = math.fsum(weights.values()) or 1.0
        best = max(c.relevance for c in candidates)
        evidence = max(
            (c.evidence for c in candidates if c.relevance >= best * self._typed_focus and c.typed),
            default=0.0,
        )
        # The window that carries most of the question; among those, one that holds the kind of
        # answer asked for ("Between 1980 and 1988, ... But two years later, ..."), then the
        # more relevant sentence's.
        windows = [(self._window(c.sentence, corpus), c) for c in candidates]
        carried = [math.fsum(weights[t] for t in weights.keys() & w.terms) for w, _ in windows]
        most = max(carried)
        answer_type = expected_answer_type(question.text)
        typed, _, window, centre = max(
            (
                (holds(answer_type, w.text), c.relevance, w, c)
                for (w, c), share in zip(windows, carried, strict=True)
                if share >= most
            ),
            key=lambda quadruple: quadruple[:2],
        )
        if typed:  # the window holds what is asked, if not its own sentence
            evidence = max(evidence, centre.evidence)
        found = window.terms
        lacking = [t for t in weights if t not in found]
        known = {t: w for t, w in weights.items() if bm25.knows(t)}
        lacking_known = [t for t in known if t not in found]
        rarest = max(known.values(), default=0.0)
        names = {t for t in name_terms(question.text) if bm25.knows(t)}
        asked_modifiers = {m.lower() for m in _MODIFIER.findall(question.text)}
        rows = [c.sentence.row for c in candidates]
        similarity = float((corpus.sentence_vectors[rows] @ question.vector[0]).max())
        features = {
            "evidence": evidence,
            "similarity": similarity,
            "coverage": math.fsum(weights[t] for t in weights.keys() & found) / total,
            "unknown": math.fsum(w for t, w in weights.items() if not bm25.knows(t)) / total,
            "untyped": float(
                evidence == 0.0 and any(not c.typed for c in candidates) and not typed
            ),
            "negation": float(negated(question.text) and not negated(window.text)),
            "modifier": float(
                bool(asked_modifiers - {m.lower() for m in _MODIFIER.findall(window.text)})
            ),
            "lacking_rare": (
                max((known[t] for t in lacking_known), default=0.0) / rarest if rarest else 0.0
            ),
            "lacking_count": min(len(lacking_known), LACKING_CAP) / LACKING_CAP,
            "numeral_missing": float(any(t[0].isdigit() and t not in found for t in weights)),
            "name_missing": float(bool(names - found)),
            "no_short": float(self._no_short_answer(question.text, window)),
            "pairs": _pairs_kept(question.terms, window),
        }
        features["changed"] = float(changed_slot(self._coverage, question.text, window))
        return Reading(
            features, self._words_for(question.text, sorted(lacking, key=lambda t: -weights[t]))
        )

    @staticmethod
    def _no_short_answer(question: str, window: Window) -> bool:
        """A fact question whose kind of answer (a name, a place, a number) the window lacks."""
        if asked_for(question) is None:
            return False
        cited = [(Source(s.doc_id, s.start, s.end, ""), s.text) for s in window.sentences]
        return not has_short_answer(question, cited)

    @staticmethod
    def _window(sentence: Sentence, corpus: CorpusView) -> Window:
        sentences = corpus.sentences
        rows = range(
            max(0, sentence.row - WINDOW_BEFORE),
            min(len(sentences), sentence.row + WINDOW_AFTER + 1),
        )
        return Window(
            tuple(
                sentences[r]
                for r in rows
                if (sentences[r].doc_id, sentences[r].section)
                == (sentence.doc_id, sentence.section)
            )
        )

    @staticmethod
    def _words_for(question: str, lacking: list[str]) -> list[str]:
        """The question's own words for the stemmed terms in `lacking` (at most three)."""
        words: list[str] = []
        for word in re.findall(r"[\w’'-]+", question):
            stemmed = terms(word)
            if stemmed and stemmed[0] in lacking[:3] and word not in words:
                words.append(word)
        return [f"“{w}”" for w in words]


def changed_slot(coverage: Coverage | None, question: str, window: Window) -> bool:
    """Whether the question puts a word of another meaning where a sentence of the window has
    its own, between the same words ("the concrete question to be solved" where the window says
    "the abstract question to be solved"): the support judge's slot check (`coverage.py`), which
    reads the two words with the bundled MiniLM only when such a slot exists. A paraphrase
    rewords with near-synonyms; a SQuAD 2.0-style near miss swaps in an antonym or another
    thing. Without the token encoder, no slot is judged."""
    if coverage is None:
        return False
    return any(coverage.changed(question, s.text) is not None for s in window.sentences)
