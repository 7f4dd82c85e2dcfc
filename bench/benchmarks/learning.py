"""Do the recipes learn to derain? Each shipped recipe at its demo scale trained several times
longer (``STEPS_SCALE``: 5 times its demo steps, 20 for DeblurGAN, whose steps are the cheapest;
``--steps-scale`` sets one factor for all), with the training options that pay off only over
longer runs (``LONG_RUN_OPTIONS``: the Attentive GAN's), on a larger SynthDrop-SK training
set, three seeds each, plus the Attentive GAN ablation (full model, no attentive-recurrent
network, plain discriminator, no attention loss) at the same plan and seeds; every run validated
as it trains and scored on the held-out-photo test pairs beside the untouched rainy input. As
in the demo, the psnr and ssim columns score the averaged (ema) weights; psnr_last and
psnr_best give the last and the best-on-validation weights' test PSNR beside them.

    python -m derainbench.benchmarks.learning [--steps-scale X] [--seeds 0,1,2] [--demo-options]
    python -m derainbench.benchmarks.learning --summary      # the table of results/learning.csv

Writes ``results/learning.csv`` (one row per run; rerunning reuses finished runs and replaces
rows of the same machine, data, recipe, variant, seed, steps and options) and
``results/learning.png`` (validation PSNR against steps, the input's level as a dashed line). On
two CPU cores the default plan takes somewhat over two hours; runs go side by side, one per
core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

import pandas as pd
import torch
from rich.console import Console

from derainbench.benchmarks.learning_plan import (
    CHECKPOINT,
    LONG_RUN_OPTIONS,
    RECIPES,
    STEPS_SCALE,
    LearningRun,
    plan_runs,
)
from derainbench.benchmarks.learning_report import markdown, plot, summary
from derainbench.benchmarks.render_speed import cpu_name
from derainbench.benchmarks.results_csv import merge_rows
from derainbench.datasets.build import build_dataset
from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import evaluate_generator
from derainbench.experiments.demo import render_demo_data
from derainbench.experiments.parallel import PlannedRun, cpu_cores, run_side_by_side
from derainbench.experiments.runner import ExperimentResult, evaluate_run

DEFAULT_CSV = Path("results") / "learning.csv"
DEFAULT_PLOT = Path("results") / "learning.png"
FIELDS = [
    "recipe",
    "variant",
    "seed",
    "steps",
    "options",
    "checkpoint",
    "psnr",
    "ssim",
    "input_psnr",
    "input_ssim",
    "psnr_last",
    "psnr_best",
    "best_step",
    "val_psnr_last",
    "val_input_psnr",
    "adversarial_start",
    "train_seconds",
    "g_params",
    "data",
    "n_train",
    "size",
    "device",
    "machine",
    "torch",
    "date",
    "run_dir",
]
KEY = ("machine", "device", "data", "recipe", "variant", "seed", "steps", "options")
SIZE = 160  # px, as the demo's pairs


def _machine(device: str) -> str:
    if device != "cpu" and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"{cpu_name()}, {cpu_cores()} cores"


def row_of(
    run: LearningRun, result: ExperimentResult, baseline: dict[str, float], data: dict[str, int]
) -> dict[str, object]:
    """The CSV row of a finished run: the averaged (ema) weights' test scores, the last and the
    best-on-validation weights' test PSNR, and where its validation curve ended."""
    assert result.evaluation is not None
    quiet = Console(file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the console
    scores = {
        which: evaluate_run(
            run.run_dir, checkpoint=which, record=False, device="cpu", console=quiet
        ).means["psnr"]
        for which in ("last", "best")
    }
    quiet.file.close()
    validation = pd.read_csv(run.run_dir / "validation.csv")
    best = validation.loc[validation["psnr"].idxmax()]
    means = result.evaluation.means
    return {
        "recipe": run.recipe,
        "variant": run.variant,
        "seed": run.seed,
        "steps": run.config.train.steps,
        "options": run.options.describe(),
        "checkpoint": CHECKPOINT,
        "psnr": round(means["psnr"], 4),
        "ssim": round(means["ssim"], 5),
        "input_psnr": round(baseline["psnr"], 4),
        "input_ssim": round(baseline["ssim"], 5),
        "psnr_last": round(scores["last"], 4),
        "psnr_best": round(scores["best"], 4),
        "best_step": int(best["step"]),
        "val_psnr_last": round(float(validation["psnr"].iloc[-1]), 4),
        "val_input_psnr": round(float(validation["input_psnr"].iloc[0]), 4),
        "adversarial_start": run.config.train.adversarial_start,
        "train_seconds": round(result.training.train_seconds, 1),
        "g_params": result.training.generator_parameters,
        **data,
        "device": str(run.config.run.device),
        "machine": _machine(str(run.config.run.device)),
        "torch": torch.__version__,
        "date": dt.date.today().isoformat(),
        "run_dir": str(run.run_dir),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument(
        "--steps-scale",
        type=float,
        default=None,
        help="Times every recipe's demo steps (default: each recipe's own factor, "
        + ", ".join(f"{name} {factor:g}" for name, factor in STEPS_SCALE.items())
        + ").",
    )
    parser.add_argument("--n-train", type=int, default=256, help="Training pairs to render.")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument(
        "--demo-options",
        action="store_true",
        help="Train the demo plans as they are, without the long-run options ("
        + "; ".join(f"{name}: {opts.describe()}" for name, opts in LONG_RUN_OPTIONS.items())
        + ").",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="Runs side by side (default: one per CPU core; 1 on a GPU).",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("learning-output"),
        help="Folder for data and runs (reused: finished runs are kept).",
    )
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT)
    parser.add_argument(
        "--summary", action="store_true", help="Only print the summary table of --csv."
    )
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    if args.summary:
        print(markdown(summary(pd.read_csv(args.csv))))
        return 0
    data = render_demo_data(args.work, args.n_train, 12, SIZE, "medium")
    seeds = [int(s) for s in args.seeds.split(",")]
    # Runs live beside the data they train on: a new renderer or background version renders a
    # new folder and so trains anew instead of reusing runs trained on the old data.
    runs = plan_runs(
        data,
        data.train.parent / "runs",
        seeds,
        args.steps_scale,
        tuple(args.recipes.split(",")),
        not args.no_ablation,
        args.device,
        long_run_options=not args.demo_options,
    )
    baseline = evaluate_generator(
        InputAsOutput(),
        build_dataset("paired-folder", {"root": str(data.test)}),
        "y-matlab",
        console=console,
    ).means
    console.print(f"{len(runs)} runs; the rainy input scores {baseline['psnr']:.2f} dB")
    finished = []

    def report(planned: PlannedRun, result: ExperimentResult) -> None:
        finished.append(planned.run_dir)
        psnr = result.evaluation.means["psnr"] if result.evaluation is not None else math.nan
        console.print(
            f"{len(finished)}/{len(runs)} {planned.run_dir}: {psnr:.2f} dB "
            f"({psnr - baseline['psnr']:+.2f}), {result.training.train_seconds:.0f} s"
        )

    results = run_side_by_side(
        [PlannedRun(r.config, r.run_dir, CHECKPOINT) for r in runs],
        leaderboard=args.work / "leaderboard.csv",
        processes=args.processes,
        console=console,
        on_finish=report,
    )
    # The data folder's name says the renderer, backgrounds and preset versions it was made with.
    scale = {"data": data.train.parent.name, "n_train": args.n_train, "size": SIZE}
    rows = [row_of(run, result, baseline, scale) for run, result in zip(runs, results, strict=True)]
    merge_rows(args.csv, rows, FIELDS, KEY)
    frame = pd.read_csv(args.csv)
    mine = (frame["machine"] == rows[0]["machine"]) & (frame["data"] == rows[0]["data"])
    plot(frame[mine], args.plot)
    print(markdown(summary(frame)))
    console.print(f"wrote {args.csv} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
