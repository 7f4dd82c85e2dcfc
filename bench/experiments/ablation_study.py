"""An ablation study: plan a recipe's variants, train and evaluate each with one budget and one
set of seeds through the experiment runner, then tabulate each variant's score differences
against the full model, paired by seed (``derain-bench ablate``, :func:`derainbench.ablate`)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from derainbench.config import ExperimentConfig, Recipe, load_recipe
from derainbench.config.recipe import FULL
from derainbench.datasets.output import output_folder
from derainbench.errors import DerainBenchError
from derainbench.experiments.ablation import PlannedVariant, design_variants, plan
from derainbench.experiments.compose import compose
from derainbench.experiments.sweep.cells import read_state
from derainbench.experiments.sweep.execute import cells_to_run, run_local
from derainbench.experiments.sweep.spec import Cell
from derainbench.reporting.leaderboard import default_path
from derainbench.reporting.statistics import mean_interval, paired_differences
from derainbench.training.components import build_components, build_training_set
from derainbench.training.runfolder import default_run_id

#: The scores an ablation table compares (their digits and direction come from the registry).
SCORES = ("psnr", "ssim")


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' → [0, 1, 2]; seeds must be distinct integers."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise DerainBenchError(
            f"--seeds must be integers separated by commas (got '{text}')"
        ) from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise DerainBenchError(f"--seeds must name distinct integers (got '{text}')")
    return seeds


@dataclass
class AblationPlan:
    """The full model and every planned variant of one recipe."""

    recipe: Recipe
    base: ExperimentConfig
    variants: list[PlannedVariant]


def plan_ablation(
    recipe: str | Recipe = "attentive-gan",
    *,
    design: str | None = None,
    factors: Sequence[str] = (),
    only: Sequence[str] = (),
    seed: int = 0,
    **compose_options: Any,
) -> AblationPlan:
    """Compose the full model of ``recipe`` (``compose_options`` as for :func:`compose`), check
    it, and plan the design's variants plus one per ``factors`` value (``only``: a subset)."""
    recipe = load_recipe(recipe) if isinstance(recipe, str) else recipe
    base = compose(recipe, seed=seed, **compose_options)
    if base.data.test is None:
        raise DerainBenchError("no test data: pass --test-data (the recipe names none)")
    provides = build_training_set(base).provides
    build_components(base, provides)  # the full model must be valid: it is every reference
    variants = design_variants(recipe.ablation, design, factors, base)
    if only:
        wanted = {name.strip() for name in only} | {FULL}
        unknown = sorted(wanted - {v.name for v in variants})
        if unknown:
            known = ", ".join(v.name for v in variants)
            raise DerainBenchError(f"--only: no variant {', '.join(unknown)}; variants: {known}")
        variants = [v for v in variants if v.name in wanted]
    return AblationPlan(recipe, base, plan(base, variants, provides))


@dataclass
class AblationResult:
    """What an ablation wrote: its id, folder, per-run scores and the summary table."""

    ablation_id: str
    root: Path
    seeds: list[int]
    runs: pd.DataFrame
    summary: pd.DataFrame
    leaderboard: Path | None


def ablation_id(ablation: AblationPlan) -> str:
    """The ablation's folder name, from what it trains: rerunning the same ablation resumes it
    in the same folder (more seeds add runs beside the earlier ones)."""
    configs = sorted(f"{item.name}:{item.config.hash}" for item in ablation.variants
                     if item.trains and item.config is not None)  # fmt: skip
    digest = hashlib.sha256("\n".join(configs).encode()).hexdigest()[:8]
    return f"{ablation.base.recipe.name}-{digest}"


def run_ablation(
    ablation: AblationPlan,
    seeds: Sequence[int],
    *,
    out: Path | str = Path("runs") / "ablations",
    leaderboard: Path | str | None = None,
    record: bool = True,
    processes: int | None = 1,
    console: Console | None = None,
) -> AblationResult:
    """Train + evaluate every trainable variant for every seed, one job per variant and seed
    (``processes`` at a time; None: one per GPU or CPU core), each row tagged ``ablation =
    ID/VARIANT`` on the leaderboard; then summarise. A sweep over the design: rerunning skips
    finished runs and resumes interrupted ones, and one variant's failure (a diverging loss,
    say) does not lose the others."""
    console = console or Console(stderr=True)
    identity = ablation_id(ablation)
    root = output_folder(Path(out) / identity)
    board = (Path(leaderboard) if leaderboard is not None else default_path()) if record else None
    cells = []
    for item in ablation.variants:
        if not item.trains:
            continue
        assert item.config is not None
        for seed in seeds:
            config = item.config.replaced(train={"seed": seed})
            cells.append(Cell({"variant": item.name}, seed, config,
                              root / item.name / default_run_id(config),
                              columns={"ablation": f"{identity}/{item.name}"}))  # fmt: skip
    todo, skipped = cells_to_run(cells)
    for cell, why in skipped:
        console.print(f"[dim]{cell.point['variant']} seed {cell.seed}: {why}[/]", highlight=False)

    def heard(cell: Cell, outcome: dict[str, Any]) -> None:
        name = cell.point["variant"]
        if outcome["status"] == "failed":
            console.print(f"[red]{name} seed {cell.seed} failed:[/] {outcome['error']}",
                          highlight=False)  # fmt: skip
        else:
            console.print(f"[bold]{name}[/] seed {cell.seed} done → {cell.run_dir}",
                          highlight=False)  # fmt: skip

    run_local(todo, board, processes, heard, record=record)
    rows: list[dict[str, Any]] = []
    for cell in cells:
        assert cell.run_dir is not None
        state = read_state(cell.run_dir)
        scores = state.get("scores", {})
        rows.append({
            "variant": cell.point["variant"], "seed": cell.seed, "run_dir": str(cell.run_dir),
            **{score: scores.get(score, math.nan) for score in SCORES},
            "error": "" if state.get("status") == "done" else state.get("error", "not run"),
        })  # fmt: skip
    runs = pd.DataFrame(rows, columns=["variant", "seed", "run_dir", *SCORES, "error"])
    summary = summarise(ablation.variants, runs)
    root.mkdir(parents=True, exist_ok=True)
    runs.to_csv(root / "runs.csv", index=False)
    summary.to_csv(root / "ablation.csv", index=False)
    return AblationResult(identity, root, list(seeds), runs, summary, board)


def _values(runs: pd.DataFrame, variant: str, score: str) -> dict[int, float]:
    chosen = runs[(runs["variant"] == variant) & (runs["error"] == "")]
    return {int(s): float(v) for s, v in zip(chosen["seed"], chosen[score], strict=True)}


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
        for score in SCORES:
            values = _values(runs, source, score)
            interval = mean_interval(values.values())
            row[f"{score}_mean"], row[f"{score}_ci95"] = interval.mean, interval.half_width
            # The full model is the reference: it has no difference to itself.
            reference = {} if source == FULL else _values(runs, FULL, score)
            delta = mean_interval(paired_differences(values, reference).values())
            row[f"delta_{score}_mean"], row[f"delta_{score}_ci95"] = delta.mean, delta.half_width
            row["n_seeds"] = interval.n
        row["notes"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)
