"""Generative answers in process: time to the first checked sentence, total time, drops.

    make serve-llm &                       # or RAG_LLM_BASE_URL=... of any OpenAI-compatible API
    python bench/generative.py [--questions N]

Asks the first N answerable questions of the eval set's test split through `QAService.stream`,
as /ask/stream does: a sentence counts as sent once grounding has judged it. The answer cache is
off. The bundled model is tiny: its answers measure the pipeline's cost, not answer quality.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.dataset import load_eval_set
from eval.metrics.latency import percentile  # nearest rank, p in percent
from qa_service.pipeline import QAService
from qa_service.schemas import AskRequest, AskResponse, DeltaEvent
from qa_service.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    service = QAService(Settings(answerer="generative", cache_bytes=0))
    items = [i for i in load_eval_set().split("test") if i.answerable][: args.questions]
    first, total, kept, dropped = [], [], 0, 0
    outcomes: dict[str, int] = {}
    for item in items:
        request = AskRequest(question=item.question, history=list(item.history))
        events = list(service.stream(request))
        response = events[-1]
        assert isinstance(response, AskResponse)
        sentences = sum(1 for e in events if isinstance(e, DeltaEvent) and e.citations)
        if response.answerer == "generative":
            kept += sentences
            dropped += response.dropped_claims
        outcome = "abstained" if response.abstained else response.answerer
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        total.append(response.timings_ms["total"])
        if "first_sentence" in response.timings_ms:
            first.append(response.timings_ms["first_sentence"])
    generated = kept + dropped
    print(f"{len(items)} answerable questions, model {service.settings.llm_model}")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if generated:
        print(
            f"generated sentences {generated}: kept {kept}, dropped {dropped} "
            f"({dropped / generated:.1%})"
        )
    if first:
        print(
            f"first checked sentence p50 / p95: {percentile(first, 50):.0f} / "
            f"{percentile(first, 95):.0f} ms ({len(first)} answers with one)"
        )
    print(
        f"total per answer p50 / p95: {percentile(total, 50):.0f} / {percentile(total, 95):.0f} ms"
    )


if __name__ == "__main__":
    main()
