"""(claim, quote) -> the claim's content words that have no counterpart in the quote.

The checks judge's test for added content. A counterpart is the same stem or name
(`contradictions.unmatched`), or a quote word that the bundled MiniLM, reading both sentences,
places close to the claim word in context (cosine of their token states at least
`COUNTERPART_COSINE`): "visit" finds "trip", "pledged" finds "committed", "embargo" finds nothing.
The token encoder is the bundled model's transformer exported to ONNX (int8) once, on first use,
and cached by model and recipe beside the query encoders; serving it needs no PyTorch.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.embedding import resolve_model_path
from indexer.onnx_encoder import export_token_encoder, onnx_session
from indexer.settings import BUNDLED_MODEL
from qa_service.answering.contradictions import (
    other_compounds,
    other_units,
    replaced,
    unmatched,
)
from qa_service.answering.recent import Recent
from qa_service.answering.support_model import SupportModelError

logger = logging.getLogger(__name__)

# A claim word counts as said when some quote word's token state is at least this close to its
# own: faithful rewordings mostly score above it ("visit"/"trip", "started"/"initiated"), added
# facts below ("embargo", "drought"). On the support benchmark (`rag-eval support`), 0.45 keeps
# 93% of faithful claims and refuses 72% of added content; 0.40 keeps 94% and refuses 65%. The
# figure belongs to the bundled model's token states, whatever RAG_EMBEDDING_MODEL says.
COUNTERPART_COSINE = 0.45
_MAX_PIECES = 256
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# Texts whose token states are kept (about 40 KB each): one answer's quotes, read once for all
# its claims, and the question and window sentences of the gate's slot check, which come up
# again for other questions on the same passages.
CACHED_TEXTS = 256
# A word the claim puts where its quote has another, between the same words, is a rewording when
# the bundled MiniLM, reading each word alone or in its sentence, places the two at least this
# close ("bigger"/"larger" 0.94 alone, "obtain"/"get" 0.71), and a change when both fall below
# ("integer"/"polynomial" 0.14 alone, "week"/"night" 0.20 alone and 0.40 in context,
# "starch"/"glucose" 0.29 and 0.35). Two units ("week"/"day") or one compound head with two
# modifiers ("one-line"/"multi-line" 0.75 alone, 0.94 in context) are a change whatever the
# cosine. Only such a slot is judged so: a wider rewording reads each
# claim word in context against the whole quote (COUNTERPART_COSINE).
SYNONYM_COSINE = 0.55
_CACHED_WORDS = 4096


@dataclass(frozen=True)
class WordState:
    text: str
    start: int
    end: int
    vector: npt.NDArray[np.float32]  # the mean of its word pieces' last-layer states, unit length


class TokenEncoder:
    """The bundled MiniLM in an onnxruntime session: a text in, each word's state out."""

    def __init__(self, cache_dir: Path) -> None:
        from tokenizers import Tokenizer

        model_path = resolve_model_path(BUNDLED_MODEL)
        try:
            onnx_file = export_token_encoder(model_path, cache_dir)
        except ImportError as error:
            raise SupportModelError(
                f"exporting the support judge's token encoder needs PyTorch ({error}): install "
                "the project (make setup) or set RAG_SUPPORT_JUDGE=lexical"
            ) from error
        try:
            self._session = onnx_session(onnx_file)
        except Exception as error:  # onnxruntime raises its own untyped errors for a bad file
            raise SupportModelError(
                f"cannot load the support judge's token encoder {onnx_file} ({error}): delete "
                "it and start again to export it anew, or set RAG_SUPPORT_JUDGE=lexical"
            ) from error
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(_MAX_PIECES)

    def words(self, text: str) -> list[WordState]:
        """Each word of `text` with its state in context (words past the model's reach have
        none and are left out). One text per call: int8 quantises a call's activations with one
        scale, so in a batch a text's states would depend on its neighbours."""
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        (states,) = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        tokens = np.asarray(states, dtype=np.float32)[0]
        pieces = [(i, start, end) for i, (start, end) in enumerate(encoding.offsets) if end > start]
        found = []
        for match in _WORD.finditer(text):
            rows = [i for i, start, end in pieces if start >= match.start() and end <= match.end()]
            if rows:
                vector = tokens[rows].mean(axis=0)
                vector /= np.linalg.norm(vector) or 1.0
                found.append(WordState(match.group(), match.start(), match.end(), vector))
        return found


class Coverage:
    """What of a claim its quote says, word by word."""

    def __init__(self, encoder: TokenEncoder) -> None:
        self._encoder = encoder
        # the gate and the judge read them from request threads
        self._texts: Recent[str, list[WordState]] = Recent(CACHED_TEXTS)
        self._alone: Recent[str, npt.NDArray[np.float32]] = Recent(_CACHED_WORDS)

    def changed(self, claim: str, quote: str) -> str | None:
        """Why the claim is not the quote's statement with a word or two reworded: it puts other
        words in their place, close neither alone nor in context ("the quote says “integer”,
        not “polynomial”")."""
        slots = replaced(claim, quote)
        if not slots:
            return None
        # The two texts are read in context only for a slot whose words are neither of two
        # kinds nor near-synonyms alone: the encoder's costliest call, and often not needed.
        states: tuple[list[WordState], list[WordState]] | None = None
        for slot in slots:
            pairs = [(c, q) for c in slot.claimed for q in slot.said]
            if not any(other_units(c, q) or other_compounds(c, q) for (c, _), (q, _) in pairs):
                alone = max(
                    float(self._word_alone(c) @ self._word_alone(q)) for (c, _), (q, _) in pairs
                )
                if alone >= SYNONYM_COSINE:
                    continue
                if states is None:
                    states = self._states(claim), self._states(quote)
                claim_states, quote_states = states
                near = max(
                    float(_state_at(claim_states, c) @ _state_at(quote_states, q))
                    for (_, c), (_, q) in pairs
                )
                if near >= SYNONYM_COSINE:
                    continue
            said = " ".join(word for word, _ in slot.said)
            claimed = " ".join(word for word, _ in slot.claimed)
            return f"the quote says “{said}”, not “{claimed}”"
        return None

    def _word_alone(self, word: str) -> npt.NDArray[np.float32]:
        key = word.lower()
        return self._alone.get(key, lambda: _first_state(self._encoder.words(key)))

    def unsaid(self, claim: str, quote: str) -> list[str]:
        """The claim's content words (as written, in order) that the quote has no counterpart
        for. Figures are left to the plain checks."""
        return list(dict.fromkeys(word for word, _ in self.unsaid_at(claim, quote)))

    def unsaid_at(self, claim: str, quote: str) -> list[tuple[str, int]]:
        """The same words, each with its offset in the claim."""
        candidates = unmatched(claim, quote)
        if not candidates:
            return []
        quote_states = self._states(quote)
        if not quote_states:
            return candidates
        matrix = np.stack([state.vector for state in quote_states])
        states = self._states(claim)
        unsaid = []
        for word, offset in candidates:
            state = next((s for s in states if s.start <= offset < s.end), None)
            if state is None or float((matrix @ state.vector).max()) < COUNTERPART_COSINE:
                unsaid.append((word, offset))
        return unsaid

    def _states(self, text: str) -> list[WordState]:
        """`TokenEncoder.words`, remembered for the last CACHED_TEXTS texts."""
        return self._texts.get(text, lambda: self._encoder.words(text))


def _first_state(states: list[WordState]) -> npt.NDArray[np.float32]:
    """A word read alone: its state (zeros for one the model has no piece for)."""
    return states[0].vector if states else np.zeros(1, dtype=np.float32)


def _state_at(states: list[WordState], offset: int) -> npt.NDArray[np.float32]:
    """The state of the word at a character offset (none past the model's reach: zeros)."""
    found = next((s.vector for s in states if s.start <= offset < s.end), None)
    return np.zeros(1, dtype=np.float32) if found is None else found
