"""Means over seeds with Student-t confidence intervals, and differences paired by seed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean with the half-width of its confidence interval (NaN with fewer than 2 values)."""

    mean: float
    half_width: float
    n: int


def confidence_halfwidth(values: pd.Series, level: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean (NaN for fewer than 2)."""
    values = values.dropna()
    if len(values) < 2:
        return math.nan
    quantile = stats.t.ppf(0.5 + level / 2, df=len(values) - 1)
    return float(quantile * values.std(ddof=1) / math.sqrt(len(values)))


def mean_interval(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and the t-interval half-width t_{(1+level)/2, n−1} · s / √n (sample std s)."""
    data = [float(v) for v in values if not math.isnan(float(v))]
    n = len(data)
    if n == 0:
        return Interval(math.nan, math.nan, 0)
    return Interval(sum(data) / n, confidence_halfwidth(pd.Series(data), level), n)


def paired_differences(
    values: Mapping[int, float], reference: Mapping[int, float]
) -> dict[int, float]:
    """``values − reference`` for every seed present in both (pairing removes seed effects)."""
    return {seed: values[seed] - reference[seed] for seed in values if seed in reference}


def format_mean_ci(mean: float, halfwidth: float, digits: int) -> str:
    """``31.42 ± 0.18`` (or the mean alone when there is no interval)."""
    if math.isnan(mean):
        return ""
    if math.isnan(halfwidth):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {halfwidth:.{digits}f}"
