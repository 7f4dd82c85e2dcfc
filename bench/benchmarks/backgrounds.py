"""What SynthDrop's training backgrounds change: a recipe's demo plan trained on the demo's
training pairs rendered over each background source (the built-in mix of dead-leaves scenes and
training photos, the training photos alone, dead-leaves scenes alone), every other setting the
demo's, and scored (ema weights) on the demo's held-out-photo test pairs beside the rainy input.

    python -m derainbench.benchmarks.backgrounds [--recipe deblurgan] [--seeds 0,1]

Writes ``results/backgrounds.csv`` (one row per recipe, source and seed; rerunning reuses
finished runs and replaces rows of the same machine, recipe, source, seed and steps). With
DeblurGAN's plan, two seeds take about 7 minutes on two CPU cores, two runs side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console

from derainbench.benchmarks.render_speed import cpu_name
from derainbench.benchmarks.results_csv import merge_rows
from derainbench.config import ExperimentConfig, load_recipe
from derainbench.datasets.build import build_dataset
from derainbench.datasets.synthdrop.backgrounds import SOURCES
from derainbench.datasets.synthdrop.writer import write_synthdrop
from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import evaluate_generator
from derainbench.experiments.demo import DemoData, demo_config, render_demo_data
from derainbench.experiments.parallel import PlannedRun, cpu_cores, run_side_by_side

DEFAULT_CSV = Path("results") / "backgrounds.csv"
N_TRAIN, N_TEST, SIZE, PRESET = 64, 12, 160, "medium"  # the demo's data
FIELDS = ["recipe", "backgrounds", "seed", "steps", "psnr", "ssim", "input_psnr", "input_ssim",
          "n_train", "size", "machine", "torch", "date", "run_dir"]  # fmt: skip
KEY = ("machine", "recipe", "backgrounds", "seed", "steps")


@dataclass(frozen=True)
class BackgroundRun:
    """One recipe trained on pairs rendered over one background source."""

    recipe: str
    backgrounds: str
    seed: int
    config: ExperimentConfig
    run_dir: Path


def training_folder(data: DemoData, backgrounds: str) -> Path:
    """Where the training pairs over ``backgrounds`` are rendered: beside the demo's data, whose
    folder names the renderer and dead-leaves versions, so new versions never reuse old runs."""
    return data.train.parent / f"train-{backgrounds}"


def plan_runs(
    recipe: str, seeds: list[int], data: DemoData, device: str = "cpu"
) -> list[BackgroundRun]:
    """The recipe's demo plan for every source and seed: the demo's validation and test pairs,
    training pairs over the source."""
    runs = []
    for backgrounds in SOURCES:
        train = training_folder(data, backgrounds)
        over = DemoData(train, data.validation, data.test)
        for seed in seeds:
            config, _ = demo_config(load_recipe(recipe), seed, over, 1.0, device)
            folder = data.train.parent / "runs" / recipe / backgrounds / f"s{seed}"
            runs.append(BackgroundRun(recipe, backgrounds, seed, config, folder))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="deblurgan", help="A recipe with a [demo] plan.")
    parser.add_argument("--seeds", default="0,1", help="Comma-separated seeds.")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--processes", type=int, default=None, help="Runs side by side.")
    parser.add_argument("--work", type=Path, default=Path("backgrounds-output"))
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    data = render_demo_data(args.work, N_TRAIN, N_TEST, SIZE, PRESET)
    for backgrounds in SOURCES:
        write_synthdrop(training_folder(data, backgrounds), N_TRAIN, SIZE, PRESET, 0,
                        "train", backgrounds=backgrounds)  # fmt: skip
    runs = plan_runs(args.recipe, seeds, data, args.device)
    test = build_dataset("paired-folder", {"root": str(data.test)})
    baseline = evaluate_generator(InputAsOutput(), test, "y-matlab", console=console).means
    results = run_side_by_side(
        [PlannedRun(r.config, r.run_dir, "ema") for r in runs],
        leaderboard=args.work / "leaderboard.csv",
        processes=args.processes,
        console=console,
    )
    machine = f"{cpu_name()}, {cpu_cores()} cores" if args.device == "cpu" else args.device
    rows = []
    for run, result in zip(runs, results, strict=True):
        assert result.evaluation is not None
        means = result.evaluation.means
        rows.append({
            "recipe": run.recipe, "backgrounds": run.backgrounds, "seed": run.seed,
            "steps": run.config.train.steps, "psnr": round(means["psnr"], 4),
            "ssim": round(means["ssim"], 5), "input_psnr": round(baseline["psnr"], 4),
            "input_ssim": round(baseline["ssim"], 5), "n_train": N_TRAIN, "size": SIZE,
            "machine": machine, "torch": torch.__version__,
            "date": dt.date.today().isoformat(), "run_dir": str(run.run_dir),
        })  # fmt: skip
        console.print(
            f"{run.recipe} over {run.backgrounds}, seed {run.seed}: {means['psnr']:.2f} dB "
            f"({means['psnr'] - baseline['psnr']:+.2f} against the rainy input)"
        )
    merge_rows(args.csv, rows, FIELDS, KEY)
    console.print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
