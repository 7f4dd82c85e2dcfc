"""Leaderboard views: the seeds of one configuration pooled into mean, spread and a CI."""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from derainbench.errors import DerainBenchError

# A configuration evaluated one way: same hash, test set, protocol and generator mode.
GROUP_KEYS = ["config_hash", "test_data", "protocol", "g_mode"]
DESCRIPTIVE = ["recipe", "generator", "discriminator", "objective", "terms", "train_data"]
METRICS = ["psnr", "ssim", "lpips_alex"]
COSTS = ["g_params", "d_params", "g_macs", "latency_ms", "peak_memory_mb", "train_seconds"]


def confidence_halfwidth(values: pd.Series, level: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean (NaN for fewer than 2)."""
    values = values.dropna()
    if len(values) < 2:
        return math.nan
    quantile = stats.t.ppf(0.5 + level / 2, df=len(values) - 1)
    return float(quantile * values.std(ddof=1) / math.sqrt(len(values)))


def aggregate_seeds(frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per configuration: n_seeds, and mean, std and CI half-width of each metric."""
    missing = [k for k in GROUP_KEYS if k not in frame.columns]
    if missing:
        raise DerainBenchError(f"the leaderboard lacks the column(s) {', '.join(missing)}")
    rows = []
    for keys, group in frame.groupby(GROUP_KEYS, sort=False, dropna=False):
        row = dict(zip(GROUP_KEYS, keys, strict=True))
        for column in DESCRIPTIVE:
            if column in group:
                row[column] = group[column].iloc[0]
        row["n_seeds"] = group["seed"].nunique() if "seed" in group else len(group)
        row["n_images"] = group["n_images"].iloc[0] if "n_images" in group else math.nan
        for metric in (m for m in METRICS if m in group and group[m].notna().any()):
            row[f"{metric}_mean"] = group[metric].mean()
            row[f"{metric}_std"] = group[metric].std(ddof=1) if len(group) > 1 else math.nan
            row[f"{metric}_ci"] = confidence_halfwidth(group[metric], level)
        for cost in (c for c in COSTS if c in group):
            row[cost] = group[cost].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def format_mean_ci(mean: float, halfwidth: float, digits: int) -> str:
    """``31.42 ± 0.18`` (or the mean alone when there is no interval)."""
    if math.isnan(mean):
        return ""
    if math.isnan(halfwidth):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {halfwidth:.{digits}f}"
