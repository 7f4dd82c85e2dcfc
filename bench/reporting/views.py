"""Leaderboard views: the seeds of one configuration pooled into mean, spread and a CI, or one
row per evaluation; filtered, and sorted best first by any registered score."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from derainbench.errors import DerainBenchError
from derainbench.metrics.scores import Score, get_score, score_columns
from derainbench.reporting.statistics import confidence_halfwidth, format_mean_ci

VIEWS = ("configs", "runs")
# A configuration evaluated one way: same hash, test set, protocol and generator mode (and the
# same weights of it, last, best or ema: never pooled across them; see with_weights).
GROUP_KEYS = ["config_hash", "test_data", "protocol", "g_mode"]
DESCRIPTIVE = ["recipe", "generator", "discriminator", "objective", "terms", "train_data"]
COSTS = ["g_params", "d_params", "g_macs", "latency_ms", "peak_memory_mb", "train_seconds"]
# What the configuration view shows around the scores (exports keep mean, std and CI apart).
CONFIG_LEAD = [
    "recipe", "generator", "discriminator", "objective", "test_data", "protocol", "weights",
]  # fmt: skip
CONFIG_TAIL = ["g_params", "g_macs", "latency_ms"]
# What the runs view shows by default (the CSV keeps everything).
RUN_LEAD = [
    "run_id", "generator", "discriminator", "test_data", "protocol", "checkpoint", "n_images",
]  # fmt: skip
RUN_TAIL = ["seed", "steps", "g_params"]


def with_weights(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``weights`` column: which of a run's weights a row scored, ``last``,
    ``best`` or ``ema``, from its ``checkpoint`` (``ema@300``: the kind, not the step, so that
    the best weights of two seeds, found at different steps, pool). Rows from before runs kept
    several checkpoints scored the last weights."""
    if "checkpoint" not in frame:
        return frame.assign(weights="last")
    # An all-empty column reads as float NaN: make it text before filling.
    kind = frame["checkpoint"].astype(object).where(frame["checkpoint"].notna(), "")
    kind = kind.astype(str).str.partition("@")[0]
    return frame.assign(weights=kind.replace("", "last"))


def _test_set(frame: pd.DataFrame) -> pd.Series:
    """A test set's identity: its content id where rows have one, else its label."""
    label = frame["test_data"].astype(str)
    if "test_set_id" not in frame:
        return label
    content = frame["test_set_id"]
    return content.where(content.notna() & (content.astype(str) != ""), label).astype(str)


def aggregate_seeds(frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per configuration: n_seeds, and mean, std and CI half-width of each score.

    A configuration is its hash evaluated on one test set (by content, so one folder typed two
    ways is one set), protocol and generator mode; each seed counts once (its latest row), so a
    repeated evaluation can never pass for another seed.
    """
    missing = [k for k in GROUP_KEYS if k not in frame.columns]
    if missing:
        raise DerainBenchError(f"the leaderboard lacks the column(s) {', '.join(missing)}")
    frame = with_weights(frame.assign(_test_set=_test_set(frame)))
    keys = ["config_hash", "_test_set", "protocol", "g_mode", "weights"]
    if "seed" in frame:
        frame = frame.drop_duplicates([*keys, "seed"], keep="last")
    scores = score_columns(frame.columns)
    rows = []
    for values, group in frame.groupby(keys, sort=False, dropna=False):
        row = dict(zip(keys, values, strict=True))
        row["test_data"] = group["test_data"].iloc[-1]
        del row["_test_set"]
        if "test_set_id" in group:
            row["test_set_id"] = group["test_set_id"].iloc[-1]
        for column in DESCRIPTIVE:
            if column in group:
                row[column] = group[column].iloc[0]
        row["n_seeds"] = group["seed"].nunique() if "seed" in group else len(group)
        row["n_images"] = group["n_images"].iloc[0] if "n_images" in group else math.nan
        for score in (s for s in scores if group[s.name].notna().any()):
            values_ = group[score.name]
            row[f"{score.name}_mean"] = values_.mean()
            row[f"{score.name}_std"] = values_.std(ddof=1) if len(group) > 1 else math.nan
            row[f"{score.name}_ci"] = confidence_halfwidth(values_, level)
        for cost in (c for c in COSTS if c in group):
            row[cost] = group[cost].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def filter_rows(frame: pd.DataFrame, where: Sequence[str]) -> pd.DataFrame:
    """Keep rows whose COLUMN equals VALUE for every ``COLUMN=VALUE``."""
    for condition in where:
        column, sep, value = condition.partition("=")
        if not sep or column not in frame.columns:
            known = ", ".join(frame.columns)
            raise DerainBenchError(f"--where '{condition}' must be COLUMN=VALUE; columns: {known}")
        frame = frame[frame[column].astype(str) == value]
    return frame


def formatted_configs(configs: pd.DataFrame) -> pd.DataFrame:
    """The configuration view for people: each score as 'mean ± CI' at its registered digits."""
    scores = [s for s in score_columns(_score_names(configs)) if f"{s.name}_mean" in configs]
    shown = pd.DataFrame(index=configs.index)
    for column in [*CONFIG_LEAD, "g_mode", "n_seeds"]:
        if column in configs:
            shown[column] = configs[column]
    for score in scores:
        means, halves = configs[f"{score.name}_mean"], configs[f"{score.name}_ci"]
        shown[score.name] = [
            format_mean_ci(m, c, score.digits) for m, c in zip(means, halves, strict=True)
        ]
    for column in CONFIG_TAIL:
        if column in configs:
            shown[column] = configs[column]
    return shown


def _score_names(configs: pd.DataFrame) -> list[str]:
    return [c.removesuffix("_mean") for c in configs.columns if c.endswith("_mean")]


def sort_key(view: str, sort: str) -> tuple[str, Score]:
    """The column a view sorts by for score ``sort``, and the score (its direction)."""
    score = get_score(sort)
    return (f"{sort}_mean" if view == "configs" else sort), score


def leaderboard_view(
    frame: pd.DataFrame,
    view: str = "configs",
    where: Sequence[str] = (),
    sort: str = "psnr",
    all_columns: bool = False,
    formatted: bool = True,
) -> pd.DataFrame:
    """The table ``derain-bench leaderboard`` shows: configurations (seeds pooled) or runs,
    filtered, best first by ``sort``; ``formatted`` gives 'mean ± CI' strings for people."""
    if view not in VIEWS:
        raise DerainBenchError(f"unknown view '{view}'; choose {' or '.join(VIEWS)}")
    frame = filter_rows(with_weights(frame), where)
    column, score = sort_key(view, sort)
    if view == "configs":
        table = aggregate_seeds(frame) if not frame.empty else frame
        if column in table:
            table = table.sort_values(column, ascending=not score.higher_is_better, kind="stable")
        if formatted and not all_columns and not table.empty:
            table = formatted_configs(table)
        return table
    if column in frame:
        frame = frame.sort_values(column, ascending=not score.higher_is_better, kind="stable")
    if all_columns:
        return frame
    scores = [s.name for s in score_columns(frame.columns) if frame[s.name].notna().any()]
    shown = [*RUN_LEAD, *scores, *RUN_TAIL]
    return frame[[c for c in shown if c in frame.columns]]
