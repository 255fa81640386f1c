"""What the answering roles add to /ask, in process: the evidence gate, the extractive draft with
its support judge, and the short answer, timed one by one on the same questions.

    python bench/answering.py [--corpus shipped] [--questions 150]

Every question is first retrieved (not timed), then its stages run in the order /ask runs them,
with what the service keeps between questions (a sentence's reading, its token states) kept
from the questions before it, never from the same question; the answer cache plays no part.
`overhead` is gate + draft and judge + short answer, the answer stage of /ask. Then, in a second
pass over the same questions: `scoring` is `SentenceScorer.candidates` alone, which the gate and
the answerer share (the answerer reuses the gate's), and `slot check` what the gate's
changed-slot feature adds (the gate on already scored sentences, with the token encoder minus
without it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages first

from eval.corpora import get_corpus
from eval.dataset import load_eval_set
from eval.indexes import corpus_settings, ensure_index
from eval.metrics.latency import percentile
from eval.runner import request_for
from qa_service.answering import ground
from qa_service.answering.evidence import ScoringParams, SentenceScorer
from qa_service.answering.gate import PresuppositionGate
from qa_service.pipeline import QAService
from qa_service.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default="shipped")
    parser.add_argument("--questions", type=int, default=150)
    args = parser.parse_args()
    base = Settings(_env_file=None, torch_threads=1, cache_size=0)
    settings = corpus_settings(get_corpus(args.corpus), base)
    ensure_index(settings)
    service = QAService(settings)
    roles = service.roles
    items = load_eval_set(get_corpus(args.corpus).gold).items[: args.questions]
    stages: dict[str, list[float]] = {
        k: [] for k in ("scoring", "gate", "slot check", "draft+judge", "short", "overhead")
    }
    # A scorer of its own, so that timing it leaves the service's shared scorings alone.
    scorer = SentenceScorer(ScoringParams.from_settings(settings))
    gate = roles.gate
    assert isinstance(gate, PresuppositionGate)
    with_slots = gate.with_scorer(scorer)
    stems_only = PresuppositionGate(scorer, roles.gate_setup.model, settings.answer_typed_focus)
    contexts = [service.answer_context(request_for(item)) for item in items]
    for context, retrieval in contexts:
        started = time.perf_counter()
        roles.gate.decide(context)
        gated = time.perf_counter()
        answer = ground(roles.answerer.draft(context), context.corpus.documents, roles.judge)
        judged = time.perf_counter()
        service.short_answer(retrieval.question.text, answer.citations)
        done = time.perf_counter()
        stages["gate"].append(gated - started)
        stages["draft+judge"].append(judged - gated)
        stages["short"].append(done - judged)
        stages["overhead"].append(done - started)
    for context, _ in contexts:
        started = time.perf_counter()
        scorer.candidates(context.query, context.hits, context.corpus)
        stages["scoring"].append(time.perf_counter() - started)
        started = time.perf_counter()
        with_slots.decide(context)
        slots = time.perf_counter()
        stems_only.decide(context)
        stages["slot check"].append((slots - started) - (time.perf_counter() - slots))
    print(f"{args.corpus}: {len(items)} questions, ms")
    print("| stage | p50 | p95 |")
    print("| --- | --- | --- |")
    for name, seconds in stages.items():
        ms = [s * 1000 for s in seconds]
        print(f"| {name} | {percentile(ms, 50) or 0.0:.2f} | {percentile(ms, 95) or 0.0:.2f} |")


if __name__ == "__main__":
    main()
