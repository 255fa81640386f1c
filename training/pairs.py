"""In-repo text -> sentences -> labelled (claim, quote) pairs: the support judge's training data.

The sentences come from the shipped corpus and the prose of the data sets' READMEs; one corpus
sentence in ten (by hash) and any sentence a benchmark quote contains are left out, so the
benchmark stays held out.
Each sentence yields faithful claims (label 1) and perturbed ones (label 0) from
`training.perturbations`, alone or joined with its neighbour as a two-sentence quote.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pysbd

from corpus import load_corpus
from indexer.chunking import split_sentences
from training import perturbations as p

REPO = Path(__file__).resolve().parent.parent
PROSE = ("corpus/README.md", "eval/data/README.md")  # what the data sets are, in prose
_MARKDOWN_NOISE = re.compile(r"`[^`]*`|\[([^\]]*)\]\([^)]*\)|[*_#>|]")


@dataclass(frozen=True)
class Pair:
    claim: str
    quote: str
    label: int  # 1: the quote supports the claim
    kind: str


def corpus_sentences(corpus_dir: Path) -> list[list[str]]:
    """Each document's sentences, in order, from the same splitter the index uses."""
    return [
        [document.text[start:end] for _, start, end in split_sentences(document)]
        for document in load_corpus(corpus_dir)
    ]


def prose_sentences(files: Iterable[Path]) -> list[list[str]]:
    """Sentences of Markdown prose: paragraphs outside code blocks, markup stripped."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    groups = []
    for file in files:
        text = re.sub(r"```.*?```", "", file.read_text(encoding="utf-8"), flags=re.DOTALL)
        sentences: list[str] = []
        for paragraph in re.split(r"\n\s*\n", text):
            if paragraph.lstrip().startswith(("|", "-", "#", "<", "!")):
                continue
            plain = _MARKDOWN_NOISE.sub(r"\1", " ".join(paragraph.split()))
            sentences += [s.strip() for s in segmenter.segment(plain)]
        groups.append(sentences)
    return groups


def usable(sentence: str) -> bool:
    words = sentence.split()
    return 6 <= len(words) <= 60 and sentence[0].isupper() and sentence[-1] in ".!?"


def held_out(sentence: str) -> bool:
    """One sentence in ten is kept for the benchmark, chosen by its hash: stable across runs."""
    return hashlib.sha256(sentence.encode()).digest()[0] % 10 == 0


def benchmark_quotes(benchmark: Path) -> list[str]:
    if not benchmark.exists():
        return []
    with benchmark.open(encoding="utf-8") as lines:
        return [json.loads(line)["quote"] for line in lines if line.strip()]


def make_pairs(groups: list[list[str]], excluded: list[str], seed: int) -> list[Pair]:
    """Faithful and perturbed claims for every usable sentence that is not held out."""
    rng = random.Random(seed)
    held = " ".join(excluded)
    groups = [[s for s in g if usable(s) and not held_out(s) and s not in held] for g in groups]
    pool = sorted({n for g in groups for s in g for n in p.names_in(s)})
    every = [s for g in groups for s in g]
    pairs: list[Pair] = []
    for group in groups:
        for i, sentence in enumerate(group):
            following = group[i + 1] if i + 1 < len(group) else None
            other = rng.choice(every)
            pairs += _sentence_pairs(sentence, following, other, pool, rng)
    rng.shuffle(pairs)
    return pairs


def _sentence_pairs(
    sentence: str, following: str | None, other: str, pool: list[str], rng: random.Random
) -> list[Pair]:
    two = f"{sentence} {following}" if following else sentence
    out: list[Pair] = []

    def add(claim: str | None, label: int, kind: str, quote: str = sentence) -> None:
        if claim is not None and claim.strip() and claim != quote:
            # Half the time the quote is this sentence joined with the next, as grounding joins
            # the quotes of a claim that cites two spans.
            out.append(Pair(claim, two if rng.random() < 0.3 else quote, label, kind))

    faithful = {kind: variant(sentence, rng) for kind, variant in p.FAITHFUL.items()}
    for kind, claim in faithful.items():
        add(claim, 1, kind)
    rewritten = [c for c in faithful.values() if c is not None] or [sentence]
    add(p.substitute_synonyms(rng.choice(rewritten), rng), 1, "reworded")
    if following is not None:
        add(p.merged(sentence, following, rng), 1, "merge", two)
        add(p.shortened(following, rng), 1, "part", two)
    for kind, perturb in p.PERTURBATIONS.items():
        base = rng.choice([sentence, *rewritten])
        add(perturb(base, rng), 0, kind)
        if following is not None and rng.random() < 0.3:
            add(perturb(p.merged(sentence, following, rng), rng), 0, kind, two)
    base = rng.choice([sentence, *rewritten])
    add(p.replace_name(base, rng, pool), 0, "entity")
    add(p.add_content(sentence, rng, other), 0, "added")
    if other != sentence and rng.random() < 0.2:
        add(other, 0, "unrelated")
    return out


def pairs_hash(pairs: list[Pair]) -> str:
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(json.dumps(asdict(pair), sort_keys=True).encode() + b"\n")
    return digest.hexdigest()
