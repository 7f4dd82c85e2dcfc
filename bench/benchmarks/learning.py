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
import dataclasses
import datetime as dt
import hashlib
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from rich.console import Console

from derainbench.benchmarks.render_speed import cpu_name
from derainbench.benchmarks.results_csv import merge_rows
from derainbench.config import ExperimentConfig, Recipe, load_recipe
from derainbench.datasets.build import build_dataset
from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import evaluate_generator
from derainbench.experiments.ablation import FULL, PlannedVariant, design_variants, plan
from derainbench.experiments.demo import DemoData, demo_config, render_demo_data
from derainbench.experiments.parallel import PlannedRun, cpu_cores, run_side_by_side
from derainbench.experiments.runner import ExperimentResult, evaluate_run
from derainbench.reporting.curves import (
    VALIDATION_FILE,
    plot_validation_curves,
    read_validation_curves,
)
from derainbench.reporting.statistics import mean_interval

DEFAULT_CSV = Path("results") / "learning.csv"
DEFAULT_PLOT = Path("results") / "learning.png"
RECIPES = ("pix2pix", "attentive-gan", "deblurgan")
#: The Attentive GAN components the ablation removes one at a time.
ABLATION = ("no-arn", "plain-discriminator", "no-attention-loss")
ABLATED_RECIPE = "attentive-gan"
#: Each recipe's steps as a multiple of its demo steps; the plan takes somewhat over two hours
#: of two CPU cores. A DeblurGAN step (ngf 16, 4 blocks) is the cheapest of the three (its
#: 4,500-step run took 5 min against pix2pix's 27 for 5,000), and its validation PSNR was still
#: rising at 5 and at 12 times its demo steps, so it gets 20 (18,000 steps).
STEPS_SCALE: dict[str, float] = {"pix2pix": 5.0, "attentive-gan": 5.0, "deblurgan": 20.0}


@dataclass(frozen=True)
class LongRunOptions:
    """Changes to a recipe's demo plan that pay off only over these longer runs."""

    #: ``--set`` options added to the demo plan's own.
    set: tuple[str, ...] = ()
    #: The warm-up fraction instead of the demo plan's (None: the demo's).
    warmup: float | None = None

    def describe(self) -> str:
        """The options as one line, for the CSV row and the plot (empty: the demo plan)."""
        warmup = () if self.warmup is None else (f"warmup={self.warmup:g}",)
        return " ".join((*self.set, *warmup))


#: Each recipe's ``LongRunOptions`` (``--demo-options`` leaves them out). The Attentive GAN's,
#: measured on this benchmark's data (validation PSNR of the averaged weights at 1,750 steps,
#: input 26.16): under the demo's options its autoencoder's units die and its maps do not find
#: the drops (25.11–25.37, 3 seeds). He-normal init with the residual convs at zero and side
#: outputs that are corrections make the autoencoder learn, a warm-up rate of 5e-4 instead of
#: 2e-3 keeps it stable (at 1e-3: 25.42, 25.72), and maps squashed into [0, 1] keep the
#: recurrent network's changes from throwing the autoencoder off (without them: 25.16, seed 0;
#: with them 26.37, 26.63); starting the adversarial phase, and with it the recipe's rate of
#: 2e-4, at half the steps instead of 80 % then gave 26.88, 27.45 (seeds 0 and 1). Over the
#: demo's 350 steps the same options score under the demo's plan (test PSNR 23.94 against
#: 24.20 dB, 2 seeds; the first four alone 23.99), so the demo keeps its own.
LONG_RUN_OPTIONS: dict[str, LongRunOptions] = {
    "attentive-gan": LongRunOptions(
        set=(
            "generator.init=he",
            "generator.residual_side_outputs=true",
            "optimizer.warmup_generator_lr=5e-4",
            "generator.attention=sigmoid",
        ),
        warmup=0.5,
    ),
}
NO_OPTIONS = LongRunOptions()
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
#: The weights the psnr and ssim columns score, as in the demo; the last and the best-on-
#: validation weights' test PSNR stand beside them.
CHECKPOINT = "ema"


@dataclass(frozen=True)
class LearningRun:
    """One run of the plan: which recipe and variant, which seed, its configuration."""

    recipe: str
    variant: str
    seed: int
    config: ExperimentConfig
    run_dir: Path
    #: The changes to the recipe's demo plan (``LONG_RUN_OPTIONS``), if any.
    options: LongRunOptions = LongRunOptions()


def plan_runs(
    data: DemoData,
    work: Path,
    seeds: list[int],
    steps_scale: float | None = None,
    recipes: tuple[str, ...] = RECIPES,
    ablation: bool = True,
    device: str = "cpu",
    long_run_options: bool = True,
) -> list[LearningRun]:
    """Every recipe × seed at ``steps_scale`` times its demo steps (None: the recipe's factor in
    ``STEPS_SCALE``) with its ``LONG_RUN_OPTIONS`` (unless ``long_run_options`` is false), then
    the ablation's variants of the same plan (the full model's runs are the recipe's own). A
    run's folder names its steps and options, so that another plan trains anew instead of
    meeting a run that was planned differently."""
    runs = []
    for name in recipes:
        options = LONG_RUN_OPTIONS.get(name, NO_OPTIONS) if long_run_options else NO_OPTIONS
        recipe = _with_options(load_recipe(name), options)
        scale = steps_scale if steps_scale is not None else STEPS_SCALE.get(name, 5.0)
        for seed in seeds:
            config, _ = demo_config(recipe, seed, data, scale, device)
            run_dir = _run_dir(work, name, FULL, config, options)
            runs.append(LearningRun(name, FULL, seed, config, run_dir, options))
        if not ablation or name != ABLATED_RECIPE:
            continue
        variants = [
            v for v in design_variants(recipe.ablation, None, (), config)[1:] if v.name in ABLATION
        ]
        for seed in seeds:
            base, _ = demo_config(recipe, seed, data, scale, device)
            planned: list[PlannedVariant] = plan(base, variants, frozenset({"mask"}))
            for item in planned:
                if item.config is None:
                    raise SystemExit(f"ablation variant {item.name}: {item.error}")
                run_dir = _run_dir(work, name, item.name, item.config, options)
                runs.append(LearningRun(name, item.name, seed, item.config, run_dir, options))
    return runs


def _with_options(recipe: Recipe, options: LongRunOptions) -> Recipe:
    """``recipe`` with its demo plan changed by ``options``."""
    if recipe.demo is None or options == NO_OPTIONS:
        return recipe
    warmup = recipe.demo.warmup if options.warmup is None else options.warmup
    demo = dataclasses.replace(recipe.demo, set=(*recipe.demo.set, *options.set), warmup=warmup)
    return dataclasses.replace(recipe, demo=demo)


def _run_dir(
    work: Path, recipe: str, variant: str, config: ExperimentConfig, options: LongRunOptions
) -> Path:
    length = f"{config.train.steps}-steps"
    if options != NO_OPTIONS:  # a short digest: the row's options column spells them out
        length += "-" + hashlib.sha256(options.describe().encode()).hexdigest()[:8]
    return work / recipe / variant / length / f"s{config.train.seed}"


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


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per training data, recipe, variant, length and options: mean test PSNR and SSIM with
    95 % t-intervals over seeds, and the mean PSNR above the input's. Runs on different training
    data, of different lengths or with different options (a plan that changed, another
    --steps-scale, --demo-options) are never averaged together."""
    rows = []
    # Rows written before the data column existed form a group of their own instead of
    # vanishing from the table (groupby drops missing keys).
    recorded = frame["data"] if "data" in frame else pd.Series(None, index=frame.index)
    frame = frame.assign(data=recorded.astype(object).fillna("unrecorded"), options=_options(frame))
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
                "psnr": f"{psnr.mean:.2f} ± {psnr.half_width:.2f}",
                "ssim": f"{ssim.mean:.4f} ± {ssim.half_width:.4f}",
                "input_psnr": f"{group['input_psnr'].iloc[0]:.2f}",
                "above_input_db": f"{psnr.mean - group['input_psnr'].iloc[0]:+.2f}",
                "psnr_last": f"{group['psnr_last'].mean():.2f}",
                "psnr_best": f"{group['psnr_best'].mean():.2f}",
                "train_s": f"{group['train_seconds'].mean():.0f}",
            }
        )
    return pd.DataFrame(rows)


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


def _options(frame: pd.DataFrame) -> pd.Series:
    """The options column, empty (the demo plan as is) where a row has none or predates it."""
    recorded = frame["options"] if "options" in frame else pd.Series(None, index=frame.index)
    return recorded.astype(object).fillna("").astype(str)


def _options_label(recipe: str, options: str) -> str:
    """How the summary table and the plot legend name a plan's options."""
    if not options:
        return "demo options"
    if options == LONG_RUN_OPTIONS.get(recipe, NO_OPTIONS).describe():
        return "long-run options"
    return options


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
