"""Quality against cost as a PNG: one point per configuration, seeds' 95 % interval as bars."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from derainbench.errors import DerainBenchError
from derainbench.evaluation.baselines import RAINY_INPUT

COST_LABELS = {
    "g_params": "generator parameters",
    "g_macs": "generator multiply-accumulates per image",
    "latency_ms": "inference latency per image (ms)",
    "train_seconds": "training time (s)",
}


def plot_quality_vs_cost(
    configs: pd.DataFrame, path: Path, cost: str = "g_params", metric: str = "psnr"
) -> Path:
    """Scatter ``metric`` (mean ± CI over seeds) against ``cost`` (log scale) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    from derainbench.metrics.scores import get_score

    score = get_score(metric)
    mean, ci = f"{metric}_mean", f"{metric}_ci"
    if cost not in configs or configs[cost].isna().all():
        raise DerainBenchError(
            f"no '{cost}' values to plot; choose one of {', '.join(COST_LABELS)}"
        )
    if mean not in configs:
        raise DerainBenchError(f"no '{metric}' values to plot")
    figure, axes = plt.subplots(figsize=(7.5, 5), dpi=120)
    inputs = configs["recipe"].astype(str) == RAINY_INPUT if "recipe" in configs else None
    if inputs is not None:
        # Doing nothing costs nothing: a line across the plot, not a point.
        for _, row in configs[inputs].iterrows():
            axes.axhline(row[mean], color="black", linestyle="--", linewidth=1,
                         label=f"rainy input, {row['protocol']} ({row[mean]:.2f})")  # fmt: skip
        configs = configs[~inputs]
    for protocol, group in configs.groupby("protocol"):
        errors = group[ci].fillna(0.0) if ci in group else None
        axes.errorbar(group[cost], group[mean], yerr=errors, fmt="o", capsize=4, label=protocol)
        for _, row in group.iterrows():
            label = f"{row.get('generator', '?')} / {row.get('discriminator', '?')}"
            seeds = row.get("n_seeds", 1)
            if isinstance(seeds, int | float) and not math.isnan(seeds) and seeds > 1:
                label += f" ({int(seeds)} seeds)"
            axes.annotate(label, (row[cost], row[mean]), textcoords="offset points",
                          xytext=(6, 4), fontsize=8)  # fmt: skip
    axes.set_xscale("log")
    axes.set_xlabel(COST_LABELS.get(cost, cost) + " (log scale)")
    axes.set_ylabel(f"{score.label}, {score.direction} (mean ± 95 % CI over seeds)")
    tests = ", ".join(sorted(configs["test_data"].astype(str).unique()))
    axes.set_title(f"Quality against cost: {tests}", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(title="protocol", fontsize=8)  # the input's level is labelled in it too
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
