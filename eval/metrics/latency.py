"""Per-request times -> nearest-rank percentiles (p50, p95)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile: the ceil(p/100 * n)-th smallest value; None when empty."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"percentile p must be in (0, 100], got {p}")
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]
