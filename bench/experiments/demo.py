"""The demo: render a small SynthDrop-SK set, train every recipe that declares a ``[demo]``
scale (the three paper recipes) with a few seeds through the experiment runner, score the rainy
input for context, and draw quality against cost (``derain-bench demo``, ``make demo``).

A recipe's demo scale (steps, batch, crop, narrower networks, and what stands in for a loss
whose pretrained weights are absent) lives in its TOML file; the loss terms and the objective
stay the recipe's own (a plan may re-balance their weights, and says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from derainbench.config import ExperimentConfig, Recipe, load_recipe
from derainbench.datasets.build import build_dataset, dataset_label
from derainbench.datasets.output import output_folder
from derainbench.datasets.synthdrop.dataset import SYNTHDROP_NAME
from derainbench.datasets.synthdrop.dead_leaves import DEAD_LEAVES_VERSION
from derainbench.datasets.synthdrop.presets import RENDERER_VERSION
from derainbench.datasets.synthdrop.writer import write_synthdrop
from derainbench.errors import DerainBenchError
from derainbench.evaluation.baselines import RAINY_INPUT, InputAsOutput
from derainbench.evaluation.evaluate import Evaluation, evaluate_generator
from derainbench.experiments.compose import compose
from derainbench.experiments.figure import comparison_figure
from derainbench.experiments.parallel import PlannedRun, run_side_by_side
from derainbench.experiments.runner import ExperimentResult
from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import RECIPES, TERMS
from derainbench.reporting.curves import plot_validation_curves, read_validation_curves
from derainbench.reporting.leaderboard import default_path, read_leaderboard
from derainbench.reporting.plots import plot_quality_vs_cost
from derainbench.reporting.views import (
    aggregate_seeds,
    leaderboard_view,
    with_rainy_input,
    with_weights,
)
from derainbench.training.runfolder import default_run_id

#: Run settings of demo runs: frequent sample grids and checkpoints, so that an interrupted
#: demo loses little and the grids show training progress. Validation runs ten times a run.
DEMO_RUN_SETTINGS = ("run.sample_every=50", "run.checkpoint_every=25")
VALIDATIONS_PER_RUN = 10
#: The weights the demo scores: the exponential moving average of the generator's weights
#: (train.ema_decay), which at the demo's high generator learning rates is steadier than the
#: last step's weights. Every row says so (checkpoint=ema); the other weights stay in the runs.
DEMO_CHECKPOINT = "ema"


def demo_recipes(names: Sequence[str] = ()) -> list[Recipe]:
    """The shipped recipes that declare a demo scale (all of them, or those named)."""
    recipes = [load_recipe(name) for name in RECIPES.names() if RECIPES.get(name).info.demo]
    if names:
        unknown = [n for n in names if n not in {r.name for r in recipes}]
        if unknown:
            known = ", ".join(r.name for r in recipes)
            raise DerainBenchError(f"no demo for recipe(s) {', '.join(unknown)}; known: {known}")
        recipes = [r for r in recipes if r.name in names]
    return recipes


def substitute_missing_weights(recipe: Recipe) -> tuple[dict[str, Any], list[str]]:
    """The recipe's tables with the terms whose weights are absent replaced or dropped as its
    demo scale says; and a note for each."""
    tables = recipe.configuration()
    stand_ins = recipe.demo.without_weights if recipe.demo is not None else {}
    terms, notes = [], []
    for term in tables.get("terms", []):
        if term["name"] not in stand_ins:
            terms.append(term)
            continue
        options = {k: v for k, v in term.items() if k not in ("name", "weight")}
        try:
            TERMS.create(term["name"], **options)
            terms.append(term)
        except MissingWeightsError as error:
            replacement = stand_ins[term["name"]]
            what = f"replaced by {replacement['name']}" if replacement else "dropped"
            notes.append(f"{recipe.name}: loss term '{term['name']}' {what} ({error})")
            if replacement is not None:
                terms.append(dict(replacement))
    tables["terms"] = terms
    return tables, notes


@dataclass(frozen=True)
class DemoData:
    """The rendered folders: training, validation (scored during training) and test pairs."""

    train: Path
    validation: Path
    test: Path

    @property
    def root(self) -> Path:
        return self.train.parent


def render_demo_data(
    out: Path, n_train: int, n_test: int, size: int, preset: str, n_val: int = 16
) -> DemoData:
    """SynthDrop-SK train, validation and held-out-photo test folders under ``out`` (reused
    when present).

    Written to disk, so that the runs read it through the same paired-folder path as real data.
    The folder names the renderer version and preset, so a changed set never resumes a run
    trained on the old one.
    """
    data = out / f"synthdrop-v{RENDERER_VERSION}-dl{DEAD_LEAVES_VERSION}-{preset}"
    for split, count in (("train", n_train), ("val", n_val), ("test", n_test)):
        write_synthdrop(data / split, count, size, preset, 0, split)
    return DemoData(data / "train", data / "val", data / "test")


def demo_config(
    recipe: Recipe,
    seed: int,
    data: DemoData,
    steps_scale: float = 1.0,
    device: str = "auto",
) -> tuple[ExperimentConfig, list[str]]:
    """One recipe at its demo scale on the rendered folders; and the weight substitution notes.

    ``steps_scale`` multiplies the steps; the warm-up stays the same fraction of them."""
    if recipe.demo is None:
        raise DerainBenchError(f"recipe '{recipe.name}' declares no [demo] scale")
    tables, notes = substitute_missing_weights(recipe)
    scale = recipe.demo
    steps = max(1, round(scale.steps * steps_scale))
    schedule = (
        f"train.adversarial_start={round(steps * scale.warmup)}",
        f"run.validate_every={max(1, steps // VALIDATIONS_PER_RUN)}",
    )
    config = compose(
        Recipe.from_tables(tables),
        # The exact soft masks from the files, for the attention loss.
        train_data={"name": "paired-folder", "root": str(data.train), "mask_rule": "file"},
        validation_data={"name": "paired-folder", "root": str(data.validation)},
        test_data={"name": "paired-folder", "root": str(data.test)},
        steps=steps,
        batch_size=scale.batch_size,
        crop=scale.crop,
        seed=seed,
        device=device,
        overrides=[*scale.set, *DEMO_RUN_SETTINGS, *schedule],
    )
    return config, notes


@dataclass(frozen=True)
class DemoVerdict:
    """One recipe's demo models against the rainy input on the held-out test images."""

    recipe: str
    seeds: int
    psnr_mean: float
    psnr_sd: float
    input_psnr: float

    @property
    def margin(self) -> float:
        """Mean PSNR above the input's, dB (negative: worse than doing nothing)."""
        return self.psnr_mean - self.input_psnr


@dataclass
class DemoResult:
    """What the demo made: data, runs, the rainy input's score, verdicts, notes, plots and
    leaderboard."""

    data: Path
    test_label: str
    runs: list[ExperimentResult]
    baseline: Evaluation
    verdicts: list[DemoVerdict]
    notes: list[str]
    plot: Path | None
    curves: Path | None
    leaderboard: Path
    #: The first seed of every recipe on the same test images (rainy | each | clean).
    figure: Path | None
    #: This demo's rows as the configs view (seeds pooled; formatted for people). The
    #: leaderboard file may hold rows of earlier demos on the same data, not shown here.
    table: pd.DataFrame


def verdicts(
    planned: Sequence[tuple[str, int]], runs: Sequence[ExperimentResult], input_psnr: float
) -> list[DemoVerdict]:
    """Each recipe's mean (and spread) test PSNR over its seeds, beside the input's."""
    by_recipe: dict[str, list[float]] = {}
    for (recipe, _), run in zip(planned, runs, strict=True):
        if run.evaluation is not None:
            by_recipe.setdefault(recipe, []).append(run.evaluation.means["psnr"])
    out = []
    for recipe, values in by_recipe.items():
        spread = pd.Series(values).std(ddof=1) if len(values) > 1 else math.nan
        out.append(DemoVerdict(recipe, len(values), sum(values) / len(values), spread, input_psnr))
    return out


def run_demo(
    out: Path | str = "demo-output",
    *,
    recipes: Sequence[str] = (),
    seeds: int = 2,
    steps_scale: float = 1.0,
    n_train: int = 64,
    n_test: int = 12,
    size: int = 160,
    preset: str = "medium",
    leaderboard: Path | str | None = None,
    device: str = "auto",
    processes: int | None = None,
    console: Console | None = None,
) -> DemoResult:
    """Render the data, train and evaluate every demo recipe × seed (side by side on a CPU's
    cores; resuming or reusing earlier work; a finished run's row is not appended twice), score
    the rainy input, draw quality against cost and the validation curves."""
    console = console or Console(stderr=True)
    chosen = demo_recipes(recipes)
    out = output_folder(out)
    board = Path(leaderboard) if leaderboard is not None else default_path()
    console.rule(f"data: {SYNTHDROP_NAME} v{RENDERER_VERSION}, raindrops rendered on real photos")
    data = render_demo_data(out, n_train, n_test, size, preset)
    console.print(
        f"{n_train} training pairs (dead-leaves scenes and training photos), 16 validation "
        f"pairs and {n_test} held-out-photo test pairs in {data.root}"
    )
    notes: list[str] = []
    planned: list[tuple[str, int]] = []
    batch: list[PlannedRun] = []
    for recipe in chosen:
        for seed in range(seeds):
            config, run_notes = demo_config(recipe, seed, data, steps_scale, device)
            notes += [n for n in run_notes if n not in notes]
            planned.append((recipe.name, seed))
            folder = data.root / "runs" / default_run_id(config)
            batch.append(PlannedRun(config, folder, DEMO_CHECKPOINT))
    test_label = dataset_label("paired-folder", {"root": str(data.test)})
    baseline = evaluate_generator(
        InputAsOutput(), build_dataset("paired-folder", {"root": str(data.test)}), "y-matlab",
        console=console,
    )  # fmt: skip
    console.rule(f"training {len(batch)} runs ({len(chosen)} recipes × {seeds} seeds)")
    done: list[str] = []

    def report(run: PlannedRun, result: ExperimentResult) -> None:
        done.append(run.run_dir.name)
        psnr = result.evaluation.means["psnr"] if result.evaluation is not None else math.nan
        console.print(
            f"{len(done)}/{len(batch)} {run.run_dir.name}: test PSNR {psnr:.2f} dB "
            f"({psnr - baseline.means['psnr']:+.2f} against the rainy input), "
            f"{result.training.train_seconds:.0f} s of training"
        )

    console.print(f"progress of each run: {data.root / 'runs'}/<run>/console.log")
    runs = run_side_by_side(batch, leaderboard=board, processes=processes, console=console,
                            on_finish=report)  # fmt: skip
    plot = out / "quality-vs-cost.png"
    where = [f"test_data={test_label}", f"weights={DEMO_CHECKPOINT}"]
    frame = with_rainy_input(with_weights(read_leaderboard(board)), where)
    # This demo's runs (and the rainy input) only: an earlier demo's rows on the same data
    # (another plan) stay in the file but are not this demo's result.
    frame = frame[frame["run_id"].isin([RAINY_INPUT, *(run.run_dir.name for run in runs)])]
    plot_quality_vs_cost(aggregate_seeds(frame), plot)
    table = leaderboard_view(frame, "configs", (), "psnr", False, True)
    curves = read_validation_curves(
        [({"recipe": name, "variant": name, "seed": seed,
           "adversarial_start": run.config.train.adversarial_start}, run.run_dir)
         for (name, seed), run in zip(planned, batch, strict=True)]
    )  # fmt: skip
    curves_plot = None
    if not curves.empty:
        curves_plot = plot_validation_curves(
            curves, out / "validation-curves.png", weights=DEMO_CHECKPOINT,
            title="demo: validation PSNR during training (SynthDrop val split)",
        )  # fmt: skip
    first_seeds: dict[str, Path] = {}
    for (name, _), run in zip(planned, runs, strict=True):
        first_seeds.setdefault(name, run.run_dir)
    figure = comparison_figure(
        list(first_seeds.values()), out / "comparison.png", images=3,
        checkpoint=DEMO_CHECKPOINT, test_data=str(data.test), device=device,
    )  # fmt: skip
    return DemoResult(
        data.root, test_label, runs, baseline, verdicts(planned, runs, baseline.means["psnr"]),
        notes, plot, curves_plot, board, figure, table,
    )  # fmt: skip
