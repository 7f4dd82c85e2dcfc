"""The demo: render a small SynthDrop-SK set, train every recipe that declares a ``[demo]``
scale (the three paper recipes) with a few seeds through the experiment runner, score the rainy
input for context, and draw quality against cost (``derain-bench demo``, ``make demo``).

A recipe's demo scale (steps, batch, crop, narrower networks, and what stands in for a loss
whose pretrained weights are absent) lives in its TOML file; the losses and the objective stay
the recipe's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from derainbench.config import ExperimentConfig, Recipe, load_recipe
from derainbench.datasets.build import build_dataset, dataset_label
from derainbench.datasets.output import output_folder
from derainbench.datasets.synthdrop.dataset import SYNTHDROP_NAME
from derainbench.datasets.synthdrop.dead_leaves import DEAD_LEAVES_VERSION
from derainbench.datasets.synthdrop.presets import RENDERER_VERSION
from derainbench.datasets.synthdrop.writer import write_synthdrop
from derainbench.errors import DerainBenchError
from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import Evaluation, evaluate_generator
from derainbench.experiments.compose import compose
from derainbench.experiments.runner import ExperimentResult, run_experiment
from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import RECIPES, TERMS
from derainbench.reporting.leaderboard import default_path, read_leaderboard
from derainbench.reporting.plots import plot_quality_vs_cost
from derainbench.reporting.views import aggregate_seeds, filter_rows

#: Run settings of demo runs: frequent sample grids and checkpoints, so that an interrupted
#: demo loses little and the grids show training progress.
DEMO_RUN_SETTINGS = ("run.sample_every=50", "run.checkpoint_every=25")


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


def render_demo_data(
    out: Path, n_train: int, n_test: int, size: int, preset: str
) -> tuple[Path, Path]:
    """SynthDrop-SK train and held-out-photo test folders under ``out`` (reused when present).

    Written to disk, so that the runs read it through the same paired-folder path as real data.
    The folder names the renderer version and preset, so a changed set never resumes a run
    trained on the old one.
    """
    data = out / f"synthdrop-v{RENDERER_VERSION}-dl{DEAD_LEAVES_VERSION}-{preset}"
    for split, count in (("train", n_train), ("test", n_test)):
        write_synthdrop(data / split, count, size, preset, 0, split)
    return data / "train", data / "test"


def demo_config(
    recipe: Recipe,
    seed: int,
    train_dir: Path,
    test_dir: Path,
    steps_scale: float = 1.0,
    device: str = "auto",
) -> tuple[ExperimentConfig, list[str]]:
    """One recipe at its demo scale on the rendered folders; and the weight substitution notes."""
    if recipe.demo is None:
        raise DerainBenchError(f"recipe '{recipe.name}' declares no [demo] scale")
    tables, notes = substitute_missing_weights(recipe)
    scale = recipe.demo
    config = compose(
        Recipe.from_tables(tables),
        # The exact soft masks from the files, for the attention loss.
        train_data={"name": "paired-folder", "root": str(train_dir), "mask_rule": "file"},
        test_data={"name": "paired-folder", "root": str(test_dir)},
        steps=max(1, round(scale.steps * steps_scale)),
        batch_size=scale.batch_size,
        crop=scale.crop,
        seed=seed,
        device=device,
        overrides=[*scale.set, *DEMO_RUN_SETTINGS],
    )
    return config, notes


@dataclass
class DemoResult:
    """What the demo made: data, runs, the rainy input's score, notes, plot and leaderboard."""

    data: Path
    test_label: str
    runs: list[ExperimentResult]
    baseline: Evaluation
    notes: list[str]
    plot: Path | None
    leaderboard: Path


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
    console: Console | None = None,
) -> DemoResult:
    """Render the data, train and evaluate every demo recipe × seed (resuming or reusing earlier
    work; a finished run's row is not appended twice), score the rainy input, draw the plot."""
    console = console or Console(stderr=True)
    chosen = demo_recipes(recipes)
    out = output_folder(out)
    board = Path(leaderboard) if leaderboard is not None else default_path()
    console.rule(f"data: {SYNTHDROP_NAME} v{RENDERER_VERSION}, raindrops rendered on real photos")
    train_dir, test_dir = render_demo_data(out, n_train, n_test, size, preset)
    console.print(
        f"{n_train} training and {n_test} held-out-photo test pairs in {train_dir.parent}"
    )
    notes: list[str] = []
    runs: list[ExperimentResult] = []
    for number, recipe in enumerate(chosen, 1):
        for seed in range(seeds):
            console.rule(f"{number}/{len(chosen)} {recipe.name}, seed {seed}: train and evaluate")
            config, run_notes = demo_config(recipe, seed, train_dir, test_dir, steps_scale, device)
            notes += [n for n in run_notes if n not in notes]
            result = run_experiment(
                config,
                runs_root=train_dir.parent / "runs",
                resume=True,
                leaderboard=board,
                skip_if_recorded=True,
                console=console,
            )
            runs.append(result)
    test_label = dataset_label("paired-folder", {"root": str(test_dir)})
    baseline = evaluate_generator(
        InputAsOutput(), build_dataset("paired-folder", {"root": str(test_dir)}), "y-matlab",
        console=console,
    )  # fmt: skip
    plot = out / "quality-vs-cost.png"
    frame = filter_rows(read_leaderboard(board), [f"test_data={test_label}"])
    plot_quality_vs_cost(aggregate_seeds(frame), plot)
    return DemoResult(train_dir.parent, test_label, runs, baseline, notes, plot, board)
