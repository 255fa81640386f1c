"""Training of the support judge: in-repo text -> labelled pairs -> fine-tuned, exported model.

`rag-train-judge` (or `python -m training`) runs it end to end and writes the model the service
loads, `qa_service/answering/support_judge/`, with a manifest of how it was made.
"""

from training.fit import TrainParams, train
from training.pairs import Pair, make_pairs

__all__ = ["Pair", "TrainParams", "make_pairs", "train"]
