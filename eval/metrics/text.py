"""Answer text -> marker-free text, cited sentences and the normalised forms metrics compare."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from itertools import pairwise

from indexer.analysis import DEFAULT_ANALYZER

MARKER = re.compile(r"\[(\d+)\]")
_LEADING_MARKERS = re.compile(r"^\s*(?:\[\d+\]\s*)+")
_ONLY_MARKERS_AND_PUNCTUATION = re.compile(r"^(?:\s|\[\d+\]|[.,;:!?])*$")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
# ASCII punctuation as in SQuAD, plus typographic quotes, dashes and the ellipsis.
_PUNCTUATION = frozenset(string.punctuation + "\u201c\u201d\u2018\u2019\u2013\u2014\u2026")


@dataclass(frozen=True)
class AnswerSentence:
    """One answer sentence: its text with markers, without them, and the markers it carries."""

    text: str
    plain: str
    markers: tuple[int, ...]


def markers_in(text: str) -> list[int]:
    """The `[n]` markers of `text`, in order of appearance, repeats included."""
    return [int(number) for number in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    """`text` without its `[n]` markers, white space collapsed, no space left before punctuation."""
    without = MARKER.sub(" ", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", collapse_whitespace(without))


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def split_sentences(answer: str) -> list[AnswerSentence]:
    """The sentences of `answer`, each with the markers that belong to it.

    A marker written after the full stop ("... in 1945. [1] Next ...") belongs to the sentence
    before it, and a piece that is only markers and punctuation is merged into the sentence
    before it: the segmenter would otherwise give them to the next sentence or to none.

    The sentences are the text analyser's, the splitter that made the sentences the service
    cites: "every sentence carries a marker" is a promise about those sentences, and a second
    splitter would only measure where two splitters disagree (eval/README.md).
    """
    pieces: list[str] = []
    for raw in _pieces(answer):
        leading = _LEADING_MARKERS.match(raw)
        if pieces and leading:
            pieces[-1] += leading.group(0)
            raw = raw[leading.end() :]
        if pieces and _ONLY_MARKERS_AND_PUNCTUATION.match(raw):
            pieces[-1] += raw
        elif raw.strip():
            pieces.append(raw)
    return [
        AnswerSentence(
            text=piece.strip(),
            plain=strip_markers(piece),
            markers=tuple(dict.fromkeys(markers_in(piece))),
        )
        for piece in pieces
        if strip_markers(piece)
    ]


def _pieces(answer: str) -> list[str]:
    """`answer` cut at the analyser's sentence starts: every character is in one piece."""
    starts = [start for start, _ in DEFAULT_ANALYZER.sentences(answer, 0, len(answer))]
    bounds = [0, *starts[1:], len(answer)]
    return [answer[a:b] for a, b in pairwise(bounds) if a < b]


def normalise_for_match(text: str) -> str:
    """Case- and white-space-insensitive form used by the answer hit: markers stripped."""
    return collapse_whitespace(MARKER.sub(" ", text)).casefold()


def normalise_squad(text: str) -> str:
    """SQuAD's answer normalisation: lower case, punctuation deleted, no articles, single spaces."""
    lowered = MARKER.sub(" ", text).lower()
    no_punctuation = "".join(char for char in lowered if char not in _PUNCTUATION)
    return collapse_whitespace(_ARTICLES.sub(" ", no_punctuation))
