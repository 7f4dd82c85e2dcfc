"""Does the fast default train as well as float32? Short runs of a recipe at its demo scale on
the demo's SynthDrop-SK data, several seeds in each precision, scored on the held-out test.

    python -m derainbench.benchmarks.precision_quality [--recipe pix2pix] [--seeds 0,1,2]

Writes ``results/precision_quality.csv`` (one row per run) and prints, per precision, the mean
and the range over seeds, and whether the fast default's mean lies inside float32's range.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from pathlib import Path

import torch
from rich.console import Console

from derainbench.benchmarks.results_csv import merge_rows
from derainbench.config import load_recipe
from derainbench.experiments.demo import DEMO_CHECKPOINT, demo_config, render_demo_data
from derainbench.experiments.runner import run_experiment

DEFAULT_OUT = Path("results") / "precision_quality.csv"
FIELDS = ["recipe", "precision_asked", "precision", "seed", "steps", "weights", "psnr", "ssim",
          "train_seconds", "device", "torch", "date"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="pix2pix")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--precisions", default="fp32,auto")
    parser.add_argument("--steps-scale", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=None, help="Folder for data and runs.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="precision-quality-"))
    data = render_demo_data(work, 64, 12, 160, "medium")
    recipe = load_recipe(args.recipe)
    rows = []
    for precision in args.precisions.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            config, _ = demo_config(recipe, seed, data, args.steps_scale, "cpu")
            config = config.replaced(run={"precision": precision})
            folder = work / "runs" / f"{args.recipe}-{precision}-s{seed}"
            # Scored as the demo scores: its averaged (EMA) weights.
            result = run_experiment(config, run_dir=folder, resume=True, record=False,
                                    checkpoint=DEMO_CHECKPOINT, console=console)  # fmt: skip
            assert result.evaluation is not None
            rows.append({
                "recipe": args.recipe, "precision_asked": precision,
                "precision": result.evaluation.row["precision"], "seed": seed,
                "steps": result.training.steps, "weights": DEMO_CHECKPOINT,
                "psnr": round(result.evaluation.means["psnr"], 4),
                "ssim": round(result.evaluation.means["ssim"], 5),
                "train_seconds": round(result.training.train_seconds, 1), "device": "cpu",
                "torch": torch.__version__, "date": dt.date.today().isoformat(),
            })  # fmt: skip
    merge_rows(args.out, rows, FIELDS, ["recipe", "precision_asked", "seed", "steps"])
    by_precision: dict[str, list[float]] = {}
    for row in rows:
        by_precision.setdefault(row["precision_asked"], []).append(row["psnr"])
    for precision, values in by_precision.items():
        console.print(
            f"{args.recipe} {precision}: PSNR mean {statistics.mean(values):.3f} dB, "
            f"range {min(values):.3f}–{max(values):.3f} over {len(values)} seeds"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
