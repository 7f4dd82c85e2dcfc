"""Leaderboard views: the seeds of one configuration pooled into mean, spread and a CI, or one
row per evaluation; filtered, and sorted best first by any registered score. Every view shows
the untouched rainy input's row for each test set and protocol it shows, and how far each row
lies above or below it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from derainbench.errors import DerainBenchError
from derainbench.evaluation.baselines import RAINY_INPUT
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
#: The score the margin to the rainy input is given in (its own column, in the score's unit).
MARGIN_SCORE = "psnr"
MARGIN = f"{MARGIN_SCORE}_vs_input"


def with_weights(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``weights`` column: which of a run's weights a row scored, ``last``,
    ``best`` or ``ema``, from its ``checkpoint`` (``ema@300``: the kind, not the step, so that
    the best weights of two seeds, found at different steps, pool). Rows from before runs kept
    several checkpoints scored the last weights."""
    if "checkpoint" not in frame:
        return frame.assign(weights="last")
    # An all-empty column reads as float NaN: make it text before filling.
    kind = frame["checkpoint"].astype(object).where(frame["checkpoint"].notna(), "")
    kind = kind.astype(str).str.partition("@")[0].replace("", "last")
    if "run_id" in frame:  # the rainy input has no weights
        kind = kind.where(frame["run_id"].astype(str) != RAINY_INPUT, "")
    return frame.assign(weights=kind)


def is_rainy_input(frame: pd.DataFrame) -> pd.Series:
    """Which rows score the untouched rainy input."""
    if "run_id" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["run_id"].astype(str) == RAINY_INPUT


def with_rainy_input(frame: pd.DataFrame, where: Sequence[str] = ()) -> pd.DataFrame:
    """The rows matching ``where``, and the rainy input's rows on the test sets and protocols
    among them (whatever ``where`` says about models: doing nothing is every table's context)."""
    inputs = frame[is_rainy_input(frame)]
    models = filter_rows(frame[~is_rainy_input(frame)], where)
    if models.empty or inputs.empty or not {"test_data", "protocol", "g_mode"} <= set(frame):
        return models
    # The input does not depend on the generator mode: it is shown beside each mode's rows.
    modes: dict[tuple[str, str], list[str]] = {}
    for key, mode in zip(zip(_test_set(models), models["protocol"].astype(str), strict=True),
                         models["g_mode"].astype(str), strict=True):  # fmt: skip
        modes.setdefault(key, [])
        if mode not in modes[key]:
            modes[key].append(mode)
    keys = list(zip(_test_set(inputs), inputs["protocol"].astype(str), strict=True))
    copies = [inputs.iloc[[i]].assign(g_mode=mode)
              for i, key in enumerate(keys) for mode in modes.get(key, [])]  # fmt: skip
    return pd.concat([models, *copies], ignore_index=True)


def with_input_margin(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """``table`` with MARGIN: each row's ``column`` (a PSNR mean or value) minus the rainy
    input's on the same test set and protocol; empty where there is no input row."""
    if column not in table or table.empty or not {"test_data", "protocol"} <= set(table):
        return table
    keys = list(zip(_test_set(table), table["protocol"].astype(str), strict=True))
    inputs = is_rainy_input(table)
    level = {key: value for key, value, flag in zip(keys, table[column], inputs, strict=True)
             if flag}  # fmt: skip
    margin = [value - level[key] if key in level and not flag else math.nan
              for key, value, flag in zip(keys, table[column], inputs, strict=True)]  # fmt: skip
    return table.assign(**{MARGIN: margin})


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
        row["run_id"] = group["run_id"].iloc[0] if "run_id" in group else ""
        for column in DESCRIPTIVE:
            if column in group:
                row[column] = group[column].iloc[0]
        seeded = "seed" in group and group["seed"].notna().any()  # the input has no seed
        row["n_seeds"] = group["seed"].nunique() if seeded else len(group)
        row["n_images"] = group["n_images"].iloc[0] if "n_images" in group else math.nan
        for score in (s for s in scores if group[s.name].notna().any()):
            values_ = group[score.name]
            row[f"{score.name}_mean"] = values_.mean()
            row[f"{score.name}_std"] = values_.std(ddof=1) if len(group) > 1 else math.nan
            row[f"{score.name}_ci"] = confidence_halfwidth(values_, level)
        for cost in (c for c in COSTS if c in group):
            row[cost] = group[cost].mean()
        if "steps" in group:
            row["steps"] = group["steps"].max()
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


def _blank(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), "")


def _count(value: object) -> str:
    """A count for people and papers: 10,461,507 (blank when there is none)."""
    return "" if pd.isna(value) else f"{round(float(value)):,}"


def _macs(value: object) -> str:
    """Multiply-accumulates: 1.54 G, 710.2 M."""
    if pd.isna(value):
        return ""
    value = float(value)
    return f"{value / 1e9:.2f} G" if value >= 1e9 else f"{value / 1e6:.1f} M"


def _milliseconds(value: object) -> str:
    return "" if pd.isna(value) else f"{float(value):.1f}"


CELL_FORMATS = {"g_params": _count, "d_params": _count, "n_seeds": _count, "steps": _count,
                "g_macs": _macs, "latency_ms": _milliseconds}  # fmt: skip


def look_alike(configs: pd.DataFrame) -> pd.Series:
    """Rows that a reader could not tell apart by their components alone (configurations that
    differ only in ``--set`` values or steps)."""
    shown = [c for c in (*CONFIG_LEAD, "g_mode") if c in configs]
    return configs.duplicated(shown, keep=False)


def best_rows(configs: pd.DataFrame) -> dict[str, int]:
    """For each score, the position of the best model row (not the rainy input's), by mean."""
    best = {}
    models = ~is_rainy_input(configs).to_numpy()
    for score in score_columns(_score_names(configs)):
        means = configs[f"{score.name}_mean"].reset_index(drop=True).where(models)
        if means.notna().any():
            best[score.name] = int(means.idxmax() if score.higher_is_better else means.idxmin())
    return best


def formatted_configs(configs: pd.DataFrame) -> pd.DataFrame:
    """The configuration view for people and papers: each score as 'mean ± CI' at its
    registered digits, counts with thousands separators, the steps and a short configuration
    hash where rows would otherwise look the same, the margin to the rainy input. The best
    model row per score is in ``attrs["best"]`` (exports print it in bold)."""
    configs = configs.reset_index(drop=True)
    scores = [s for s in score_columns(_score_names(configs)) if f"{s.name}_mean" in configs]
    shown = pd.DataFrame(index=configs.index)
    for column in [*CONFIG_LEAD, "g_mode"]:
        if column in configs:  # the rainy input's row has no components: blank, not NaN
            shown[column] = _blank(configs[column])
    alike = look_alike(configs)
    if alike.any():
        shown["config"] = [h[:8] if a and h != RAINY_INPUT else ""
                           for h, a in zip(configs["config_hash"].astype(str), alike,
                                           strict=True)]  # fmt: skip
        if "steps" in configs:
            shown["steps"] = [_count(v) for v in configs["steps"]]
    if "n_seeds" in configs:
        shown["n_seeds"] = [_count(v) for v in configs["n_seeds"]]
    for score in scores:
        means, halves = configs[f"{score.name}_mean"], configs[f"{score.name}_ci"]
        shown[score.name] = [
            format_mean_ci(m, c, score.digits) for m, c in zip(means, halves, strict=True)
        ]
    if MARGIN in configs:
        shown[MARGIN] = [format_margin(m) for m in configs[MARGIN]]
    for column in CONFIG_TAIL:
        if column in configs:
            shown[column] = [CELL_FORMATS.get(column, str)(v) for v in configs[column]]
    shown.attrs["best"] = {name: row for name, row in best_rows(configs).items() if name in shown}
    return shown


def format_margin(margin: float) -> str:
    """A margin to the rainy input for people: '+0.42', or '-1.62 (below)'; empty for none."""
    if margin is None or (isinstance(margin, float) and math.isnan(margin)):
        return ""
    return f"{margin:+.2f}" + (" (below)" if margin < 0 else "")


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
    frame = with_rainy_input(with_weights(frame), where)
    column, score = sort_key(view, sort)
    if view == "configs":
        table = aggregate_seeds(frame) if not frame.empty else frame
        table = with_input_margin(table, f"{MARGIN_SCORE}_mean")
        if column in table:
            table = table.sort_values(column, ascending=not score.higher_is_better, kind="stable")
        if formatted and not all_columns and not table.empty:
            table = formatted_configs(table)
        return table
    frame = with_input_margin(frame, MARGIN_SCORE)
    if column in frame:
        frame = frame.sort_values(column, ascending=not score.higher_is_better, kind="stable")
    if all_columns:
        return frame
    scores = [s.name for s in score_columns(frame.columns) if frame[s.name].notna().any()]
    shown = [*RUN_LEAD, *scores, MARGIN, *RUN_TAIL]
    return frame[[c for c in shown if c in frame.columns]]
