"""Means over seeds with Student-t confidence intervals, and differences paired by seed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """A mean with the half-width of its confidence interval (NaN with fewer than 2 values)."""

    mean: float
    half_width: float
    n: int


def mean_interval(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and the t-interval half-width t_{(1+level)/2, n−1} · s / √n (sample std s)."""
    data = [float(v) for v in values if not math.isnan(float(v))]
    n = len(data)
    if n == 0:
        return Interval(math.nan, math.nan, 0)
    import pandas as pd

    # One implementation of the t-interval, shared with the leaderboard's seed views.
    from derainbench.reporting.views import confidence_halfwidth

    return Interval(sum(data) / n, confidence_halfwidth(pd.Series(data), level), n)


def paired_differences(
    values: Mapping[int, float], reference: Mapping[int, float]
) -> dict[int, float]:
    """``values − reference`` for every seed present in both (pairing removes seed effects)."""
    return {seed: values[seed] - reference[seed] for seed in values if seed in reference}
