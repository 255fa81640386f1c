"""An answer sentence + the quotes it relies on -> a support score and a supported verdict.

The score is the eval's own, independent of the `support` the service reports:

    support = 0                                        if a number or name of the sentence is
                                                       missing from the quotes
            = LEXICAL_WEIGHT * lexical
              + (1 - LEXICAL_WEIGHT) * max(0, similarity)   otherwise

    lexical    = share of the sentence's distinct content terms found in the quotes
    similarity = max cosine between the sentence and the joined quotes or any one quote sentence

and a sentence is supported when support >= THRESHOLD. eval/README.md explains each part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from pydantic import BaseModel

from eval.embedding import Embedder
from indexer.analysis import DEFAULT_ANALYZER

LEXICAL_WEIGHT = 0.5
THRESHOLD = 0.55

_TOKEN = re.compile(r"\d(?:[\d,.]*\d)?|[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}
# Function words carry no claim of their own; "one" is here because it is mostly a pronoun.
# fmt: off
STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "dont", "down", "during", "each",
    "either", "else", "even", "ever", "every", "few", "for", "from", "further", "had", "has",
    "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least", "less",
    "many", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "neither", "no",
    "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "others", "our",
    "ours", "ourselves", "out", "over", "own", "per", "quite", "rather", "same", "shall", "she",
    "should", "since", "so", "some", "still", "such", "than", "that", "the", "their", "theirs",
    "them", "themselves", "then", "there", "these", "they", "this", "those", "though", "through",
    "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "were",
    "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will",
    "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves",
})
# fmt: on


class SupportJudgement(BaseModel, frozen=True):
    lexical: float
    similarity: float
    missing: tuple[str, ...]  # numbers and names of the sentence that no quote contains
    score: float
    supported: bool


@dataclass(frozen=True)
class Term:
    key: str  # what is compared: a number without separators, or a lower-case word stem
    surface: str  # as written in the sentence
    required: bool  # numbers and names must be present in the quotes


@lru_cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[Term]:
    """The content terms of `text`: numbers, and words that are not stop words.

    A name is a capitalised word that is not the first word of the text, or an acronym (two or
    more capitals) anywhere; numbers and names are `required`.
    """
    found: list[Term] = []
    for position, match in enumerate(_TOKEN.finditer(text)):
        surface = match.group(0)
        if surface[0].isdigit():
            found.append(Term(surface.replace(",", ""), surface, required=True))
            continue
        word = re.split(r"['\u2019]s$", surface)[0].replace("\u2019", "").replace("'", "")
        lower = word.lower()
        if lower in _NUMBER_WORDS:
            found.append(Term(_NUMBER_WORDS[lower], surface, required=True))
        elif len(word) > 1 and lower not in STOPWORDS:
            acronym = word.isupper()
            name = acronym or (word[0].isupper() and position > 0)
            found.append(Term(_stemmer().stemWord(lower), surface, required=name))
    return found


def initialisms(text: str) -> set[str]:
    """Acronyms that runs of capitalised words spell: "Organization of the Petroleum Exporting
    Countries" gives OPEC (and every shorter contiguous run: OP, PEC, ...), lower-cased."""
    found: set[str] = set()
    initials = ""
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        if word[0].isupper() and word.lower() not in STOPWORDS:
            initials += word[0].lower()
        elif word.lower() not in STOPWORDS:  # "of", "the", "and" may sit inside a name
            initials = ""
        found.update(initials[i:] for i in range(len(initials) - 1))
    return found


def _present(term: Term, available: set[str], acronyms: set[str]) -> bool:
    if term.key in available:
        return True
    if not term.required or term.key[0].isdigit():
        return False
    # A name also matches its acronym's expansion, and a related form sharing a 4+ letter prefix
    # (Iraq / Iraqi, Iran / Iranian).
    return term.key in acronyms or any(
        min(len(term.key), len(key)) >= 4 and (key.startswith(term.key) or term.key.startswith(key))
        for key in available
    )


def lexical_overlap(sentence: str, quotes: Sequence[str]) -> tuple[float, tuple[str, ...]]:
    """Share of the sentence's distinct content terms found in the quotes; required ones missing."""
    available = {term.key for quote in quotes for term in terms(quote)}
    acronyms = {acronym for quote in quotes for acronym in initialisms(quote)}
    content = {term.key: term for term in terms(sentence)}
    if not content:
        return 1.0, ()
    present = {key for key, term in content.items() if _present(term, available, acronyms)}
    missing = tuple(
        term.surface for key, term in content.items() if term.required and key not in present
    )
    return len(present) / len(content), missing


class SupportScorer:
    """Judges whether quotes support a sentence; holds the embedder used for the similarity part."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def similarity(self, sentence: str, quotes: Sequence[str]) -> float:
        pieces = [" ".join(quotes)]
        for quote in quotes:
            pieces += [quote[a:b] for a, b in DEFAULT_ANALYZER.sentences(quote, 0, len(quote))]
        vectors = self.embedder.embed([sentence, *pieces])
        return max(0.0, float((vectors[1:] @ vectors[0]).max()))

    def judge(self, sentence: str, quotes: Sequence[str]) -> SupportJudgement:
        """How well `quotes` (jointly) support `sentence`; no quote at all supports nothing."""
        quotes = [quote for quote in quotes if quote.strip()]
        if not quotes:
            missing = tuple(term.surface for term in terms(sentence) if term.required)
            return SupportJudgement(
                lexical=0.0, similarity=0.0, missing=missing, score=0.0, supported=False
            )
        lexical, missing = lexical_overlap(sentence, quotes)
        similarity = self.similarity(sentence, quotes)
        score = 0.0 if missing else LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * similarity
        return SupportJudgement(
            lexical=lexical,
            similarity=similarity,
            missing=missing,
            score=score,
            supported=score >= THRESHOLD,
        )
