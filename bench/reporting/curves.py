"""Validation curves: the score of each run's generator against training steps, read from the
runs' ``validation.csv``, drawn one panel per group (a recipe, an ablation) with the untouched
rainy input's level as a dashed line, the level a model has to beat."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from derainbench.errors import DerainBenchError

VALIDATION_FILE = "validation.csv"


def read_validation_curves(runs: Sequence[tuple[dict[str, object], Path]]) -> pd.DataFrame:
    """One frame of every run's validation rows, each row tagged with its run's labels (for
    example ``{"recipe": ..., "variant": ..., "seed": ...}``); runs that never validated are
    left out."""
    frames = []
    for labels, run_dir in runs:
        path = Path(run_dir) / VALIDATION_FILE
        if not path.is_file():
            continue
        frame = pd.read_csv(path)
        for key, value in labels.items():
            frame[key] = value
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def plot_validation_curves(
    curves: pd.DataFrame,
    path: Path,
    *,
    panel: str = "recipe",
    line: str = "variant",
    metric: str = "psnr",
    weights: str = "",
    title: str = "",
) -> Path:
    """Validation ``metric`` against steps (of the averaged weights, ``ema_<metric>``, with
    ``weights="ema"``): a panel per value of ``panel``, a colour per value
    of ``line``, thin lines for single seeds and a thick one for their mean; the input's level
    (the ``input_<metric>`` column) dashed, and where an ``adversarial_start`` column says a
    warm-up ended, a dotted vertical line."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    from derainbench.metrics.scores import get_score

    column = f"{weights}_{metric}" if weights else metric
    if curves.empty or column not in curves:
        raise DerainBenchError(f"no validation '{column}' to plot: no run has validated yet")
    score = get_score(metric)
    panels = list(dict.fromkeys(curves[panel]))
    columns = min(len(panels), 2)
    rows = math.ceil(len(panels) / columns)
    figure, grid = plt.subplots(
        rows, columns, figsize=(6.2 * columns, 4.2 * rows), dpi=110, squeeze=False
    )
    for axes, name in zip(grid.flat, panels, strict=False):
        group = curves[curves[panel] == name]
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for number, (label, lines) in enumerate(group.groupby(line, sort=False)):
            colour = colours[number % len(colours)]
            for _, seed in lines.groupby("seed"):
                axes.plot(seed["step"], seed[column], color=colour, alpha=0.3, linewidth=0.8)
            mean = lines.groupby("step")[column].mean()
            seeds = lines["seed"].nunique()
            name_of_mean = f"{label} (mean of {seeds} seed{'s' if seeds != 1 else ''})"
            axes.plot(mean.index, mean.values, color=colour, linewidth=2, label=name_of_mean)
        if "adversarial_start" in group:
            for start in sorted({int(v) for v in group["adversarial_start"].dropna() if v > 0}):
                axes.axvline(start, color="grey", linestyle=":", linewidth=1.2,
                             label=f"adversarial game from step {start}")  # fmt: skip
        level = f"input_{metric}"
        if level in group and group[level].notna().any():
            value = float(group[level].dropna().iloc[0])
            axes.axhline(value, color="black", linestyle="--", linewidth=1.2,
                         label=f"rainy input ({value:.2f})")  # fmt: skip
        axes.set_title(str(name), fontsize=10)
        axes.set_xlabel("training step")
        of = f" of the {weights} weights" if weights else ""
        axes.set_ylabel(f"validation {score.label}{of}, {score.direction}")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7)
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_visible(False)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
