"""Embedding model -> the evidence gate's weights and threshold, fitted for that model's scores.

The gate's features include embedding similarities, so its weights and threshold belong to the
model that produced them. `gate_calibration.json` (beside this module, written by
`python -m eval.gate_fit`) keys each fit by the hash of the model's files, the identity the
index manifest records. An index built with another model finds no entry: the service then
says so at start-up (log and /readyz) and uses the operator's `RAG_GATE_THRESHOLD` if set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from qa_service.answering.gate import FEATURES, TOPIC_FEATURES, GateModel, Logistic

logger = logging.getLogger(__name__)

CALIBRATION_FILE = Path(__file__).with_name("gate_calibration.json")
REFIT = "fit it with `python -m eval.gate_fit` or set RAG_GATE_THRESHOLD"


class Regression(BaseModel, frozen=True):
    weights: dict[str, float]  # one per feature it reads
    bias: float


class Calibration(BaseModel, frozen=True):
    model: str  # the embedding model's name when it was fitted
    on_topic: Regression  # over the gate's TOPIC_FEATURES
    near_miss: Regression  # over the gate's FEATURES
    threshold: float  # the operating point chosen on the dev questions
    fitted_on: dict[str, int]  # dev questions per corpus
    command: str  # what reproduces it


class CalibrationTable(BaseModel, frozen=True):
    reference: str  # the files hash whose fit serves an uncalibrated model
    models: dict[str, Calibration]  # embedding files hash -> its fit


@dataclass(frozen=True)
class GateSetup:
    model: GateModel
    calibrated: bool  # the fit was made for this embedding model
    detail: str  # what the service reports about it


def load_table(path: Path = CALIBRATION_FILE) -> CalibrationTable:
    return CalibrationTable.model_validate_json(path.read_text(encoding="utf-8"))


def gate_setup(
    files_sha256: str, model_name: str, threshold: float | None, table: CalibrationTable
) -> GateSetup:
    """The gate model for the embedding model with these files; `threshold` overrides the fit's."""
    fit = table.models.get(files_sha256)
    if fit is not None and _reads_the_features(fit):
        chosen = fit.threshold if threshold is None else threshold
        source = "calibrated" if threshold is None else "set by RAG_GATE_THRESHOLD"
        return GateSetup(
            _gate_model(fit, chosen), True, f"threshold {chosen:.3f} ({source}) for {model_name}"
        )
    overridden = " (set by RAG_GATE_THRESHOLD)" if threshold is not None else f"; {REFIT}"
    reference = table.models.get(table.reference)
    if reference is None or not _reads_the_features(reference):
        # A table fitted for other features: a neutral model that abstains only when no passage
        # matches, or below the operator's threshold.
        chosen = 0.0 if threshold is None else threshold
        detail = (
            f"the evidence gate has no fit for its features {list(FEATURES)} in "
            f"{CALIBRATION_FILE.name}: it scores every question 0.5, threshold {chosen:.3f}"
            + overridden
        )
        logger.warning(detail)
        neutral = Logistic(dict.fromkeys(FEATURES, 0.0), 0.0)
        return GateSetup(GateModel(neutral, neutral, chosen), False, detail)
    chosen = reference.threshold if threshold is None else threshold
    detail = (
        f"the evidence gate is not calibrated for {model_name}: it uses the weights fitted for "
        f"{reference.model} with threshold {chosen:.3f}" + overridden
    )
    logger.warning(detail)
    return GateSetup(_gate_model(reference, chosen), False, detail)


def _reads_the_features(fit: Calibration) -> bool:
    return set(fit.on_topic.weights) == set(TOPIC_FEATURES) and set(fit.near_miss.weights) == set(
        FEATURES
    )


def _gate_model(fit: Calibration, threshold: float) -> GateModel:
    return GateModel(
        Logistic(fit.on_topic.weights, fit.on_topic.bias),
        Logistic(fit.near_miss.weights, fit.near_miss.bias),
        threshold,
    )
