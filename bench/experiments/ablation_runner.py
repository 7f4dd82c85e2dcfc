"""Train and evaluate every planned ablation variant with one budget and one set of seeds, then
tabulate each variant's metric differences against the full model, paired by seed."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from derainbench.config import config_hash
from derainbench.errors import DerainBenchError
from derainbench.experiments.ablation import FULL, PlannedVariant
from derainbench.reporting.statistics import mean_interval, paired_differences
from derainbench.training.runfolder import default_run_id

METRICS = ("psnr", "ssim")
_DIGITS = {"psnr": 2, "ssim": 4}


@dataclass
class AblationRun:
    """Where one ablate call writes: its id (shared by its leaderboard rows) and its folder."""

    ablation_id: str
    root: Path
    seeds: list[int]
    leaderboard: Path | None
    device: str = "auto"


def run_variants(
    planned: list[PlannedVariant], ablation: AblationRun, console: Console
) -> pd.DataFrame:
    """Train + evaluate each trainable variant for every seed; one row per (variant, seed)."""
    from derainbench.evaluation.evaluate import EvaluationOptions, evaluate_run
    from derainbench.training.loop import train

    rows: list[dict[str, Any]] = []
    for item in planned:
        if not item.trains:
            continue
        for seed in ablation.seeds:
            config = copy.deepcopy(item.config)
            config["train"]["seed"] = seed
            config["run"]["device"] = ablation.device
            # The run id a plain `train` of this configuration gets: recipe, models, hash, seed.
            run_dir = ablation.root / item.name / default_run_id(config, config_hash(config))
            row: dict[str, Any] = {"variant": item.name, "seed": seed, "run_dir": str(run_dir)}
            console.print(f"[bold]{item.name}[/] seed {seed} → {run_dir}", highlight=False)
            try:
                train(config, run_dir, console=console)
                options = EvaluationOptions(
                    columns={"ablation": f"{ablation.ablation_id}/{item.name}"}
                )
                evaluation, _ = evaluate_run(
                    run_dir,
                    leaderboard=ablation.leaderboard,
                    device=ablation.device,
                    console=console,
                    options=options,
                )
                row |= {metric: evaluation.means.get(metric, math.nan) for metric in METRICS}
                row["error"] = ""
            except DerainBenchError as error:
                # One variant's failure (say, a diverging loss) must not lose the others.
                row |= dict.fromkeys(METRICS, math.nan) | {"error": str(error)}
                console.print(f"[red]{item.name} seed {seed} failed:[/] {error}", highlight=False)
            rows.append(row)
    return pd.DataFrame(rows, columns=["variant", "seed", "run_dir", *METRICS, "error"])


def _values(runs: pd.DataFrame, variant: str, metric: str) -> dict[int, float]:
    chosen = runs[(runs["variant"] == variant) & (runs["error"] == "")]
    return {int(s): float(v) for s, v in zip(chosen["seed"], chosen[metric], strict=True)}


def summarise(planned: list[PlannedVariant], runs: pd.DataFrame) -> pd.DataFrame:
    """One row per variant: status, means over seeds, and Δ vs the full model (mean ± 95 % CI)."""
    rows = []
    for item in planned:
        source = item.same_as or item.name
        row: dict[str, Any] = {"variant": item.name, "description": item.variant.description}
        if item.error is not None:
            row |= {"status": "impossible", "notes": item.error}
            rows.append(row)
            continue
        failures = runs[(runs["variant"] == source) & (runs["error"] != "")]["error"].tolist()
        row["status"] = f"= {item.same_as}" if item.same_as else ("failed" if failures else "ok")
        notes = [*item.notes, *failures[:1]]
        for metric in METRICS:
            values = _values(runs, source, metric)
            interval = mean_interval(values.values())
            row[f"{metric}_mean"], row[f"{metric}_ci95"] = interval.mean, interval.half_width
            # The full model is the reference: it has no difference to itself.
            reference = {} if source == FULL else _values(runs, FULL, metric)
            delta = mean_interval(paired_differences(values, reference).values())
            row[f"delta_{metric}_mean"], row[f"delta_{metric}_ci95"] = delta.mean, delta.half_width
            row["n_seeds"] = interval.n
        row["notes"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(mean: Any, half_width: Any, digits: int, signed: bool) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    text = f"{mean:+.{digits}f}" if signed else f"{mean:.{digits}f}"
    if half_width is not None and not math.isnan(half_width):
        text += f" ± {half_width:.{digits}f}"
    return text


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """The rich table `ablate` prints: absolute metrics and their differences to the full model."""
    table = Table(title=title, title_justify="left")
    table.add_column("variant", style="bold")
    for metric in METRICS:
        table.add_column(metric.upper(), justify="right")
    for metric in METRICS:
        table.add_column(f"Δ {metric.upper()} vs full", justify="right")
    table.add_column("seeds", justify="right")
    table.add_column("status / notes")
    for row in summary.to_dict("records"):
        cells = [row["variant"]]
        for metric in METRICS:
            cells.append(
                _cell(row.get(f"{metric}_mean"), row.get(f"{metric}_ci95"), _DIGITS[metric], False)
            )
        for metric in METRICS:
            mean, half = row.get(f"delta_{metric}_mean"), row.get(f"delta_{metric}_ci95")
            cells.append(_cell(mean, half, _DIGITS[metric], True))
        n = row.get("n_seeds")
        cells.append("" if n is None or (isinstance(n, float) and math.isnan(n)) else str(int(n)))
        status = row["status"] + (f": {row['notes']}" if row.get("notes") else "")
        cells.append(status)
        table.add_row(*cells)
    return table
