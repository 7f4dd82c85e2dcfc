"""The learning benchmark's report: the summary table over seeds and the validation-curve plot,
read from ``results/learning.csv``."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from derainbench.benchmarks.learning_plan import (
    ABLATED_RECIPE,
    CHECKPOINT,
    LONG_RUN_OPTIONS,
    NO_OPTIONS,
)
from derainbench.experiments.ablation import FULL
from derainbench.reporting.curves import (
    VALIDATION_FILE,
    plot_validation_curves,
    read_validation_curves,
)
from derainbench.reporting.statistics import mean_interval


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per training data, recipe, variant, length and options: mean test PSNR and SSIM with
    95 % t-intervals over seeds, and the mean PSNR above the input's. Runs on different training
    data, of different lengths or with different options (a plan that changed, another
    --steps-scale, --demo-options) are never averaged together."""
    rows = []
    # Rows written before the data column existed form a group of their own instead of
    # vanishing from the table (groupby drops missing keys).
    frame = frame.assign(data=_column(frame, "data", "unrecorded"), options=_options(frame))
    groups = frame.groupby(["data", "recipe", "variant", "steps", "options"], sort=False)
    for (data, recipe, variant, steps, options), group in groups:
        psnr, ssim = mean_interval(group["psnr"]), mean_interval(group["ssim"])
        rows.append(
            {
                "recipe": recipe,
                "variant": variant,
                "seeds": psnr.n,
                "steps": int(steps),
                "options": _options_label(recipe, options),
                "data": data,
                "psnr": _with_interval(psnr.mean, psnr.half_width, psnr.n, 2),
                "ssim": _with_interval(ssim.mean, ssim.half_width, ssim.n, 4),
                "input_psnr": f"{group['input_psnr'].iloc[0]:.2f}",
                "above_input_db": f"{psnr.mean - group['input_psnr'].iloc[0]:+.2f}",
                "psnr_last": f"{group['psnr_last'].mean():.2f}",
                "psnr_best": f"{group['psnr_best'].mean():.2f}",
                "train_s": f"{group['train_seconds'].mean():.0f}",
            }
        )
    return pd.DataFrame(rows)


def _with_interval(mean: float, half_width: float, n: int, digits: int) -> str:
    """``mean ± half_width``; one seed has no interval, and says so instead of printing nan."""
    if n < 2:
        return f"{mean:.{digits}f} (one seed)"
    return f"{mean:.{digits}f} ± {half_width:.{digits}f}"


def markdown(table: pd.DataFrame) -> str:
    """``table`` as a GitHub markdown table."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines)


def plot(frame: pd.DataFrame, path: Path) -> Path:
    """Validation PSNR against steps: a panel per recipe, and one for the ablation. Rows whose
    run folder holds no validation curve (moved or deleted) are left out, and said so."""
    labelled = curve_labels(frame)
    missing = sorted({str(d) for _, d in labelled if not (d / VALIDATION_FILE).is_file()})
    if missing:
        more = ", ..." if len(missing) > 3 else ""
        warnings.warn(
            f"{len(missing)} run(s) of the CSV have no {VALIDATION_FILE} where their row says "
            f"(left out of the plot): {', '.join(missing[:3])}{more}",
            stacklevel=2,
        )
    curves = read_validation_curves(labelled)
    machine = frame["machine"].iloc[0] if "machine" in frame else ""
    return plot_validation_curves(
        curves,
        path,
        weights=CHECKPOINT,
        title=f"validation PSNR during training, SynthDrop-SK val split ({machine})",
    )


def curve_labels(frame: pd.DataFrame) -> list[tuple[dict[str, object], Path]]:
    """Each row's run folder with the panel and line its validation curve goes to. A variant
    measured at several lengths or with several option sets gets a line per plan, so that plans
    never blend; the ablation's panel compares the variants of one plan (the current long-run
    options where the CSV has them) and names it."""
    frame = frame.assign(options=_options(frame))
    lengths = frame.groupby(["recipe", "variant"])["steps"].transform("nunique")
    plans = frame.groupby(["recipe", "variant"])["options"].transform("nunique")
    ablated = _ablation_plan(frame)
    labelled = []
    for row, several, planned in zip(frame.itertuples(), lengths, plans, strict=True):
        line = f"{row.variant}, {row.steps:,} steps" if several > 1 else row.variant
        drawn = []
        if row.variant == FULL:
            plan = f", {_options_label(row.recipe, row.options)}" if planned > 1 else ""
            drawn.append((row.recipe, line + plan))
        if row.recipe == ABLATED_RECIPE and row.options == ablated:
            panel = f"{row.recipe} ablation ({_options_label(row.recipe, ablated)})"
            drawn.append((panel, line))  # the full model is the ablation's reference line
        for panel, name in drawn:
            labels = {"recipe": panel, "variant": name, "seed": row.seed,
                      "adversarial_start": row.adversarial_start}  # fmt: skip
            labelled.append((labels, Path(row.run_dir)))
    return labelled


def _ablation_plan(frame: pd.DataFrame) -> str:
    """The options of the plan the ablation panel draws: the current long-run options if the
    ablation was run with them, else the demo plan's, else whichever it was run with."""
    ablation = frame[(frame["recipe"] == ABLATED_RECIPE) & (frame["variant"] != FULL)]
    recorded = list(dict.fromkeys(ablation["options"]))
    current = LONG_RUN_OPTIONS.get(ABLATED_RECIPE, NO_OPTIONS).describe()
    for options in (current, ""):
        if options in recorded:
            return options
    return recorded[0] if recorded else current


def _column(frame: pd.DataFrame, name: str, missing: str) -> pd.Series:
    """Column ``name`` as text, ``missing`` where a row has no value or predates the column."""
    recorded = frame[name] if name in frame else pd.Series(None, index=frame.index)
    return recorded.astype(object).fillna(missing).astype(str)


def _options(frame: pd.DataFrame) -> pd.Series:
    """The options column, empty (the demo plan as is) where a row has none or predates it."""
    return _column(frame, "options", "")


def _options_label(recipe: str, options: str) -> str:
    """How the summary table and the plot legend name a plan's options."""
    if not options:
        return "demo options"
    if options == LONG_RUN_OPTIONS.get(recipe, NO_OPTIONS).describe():
        return "long-run options"
    return options
