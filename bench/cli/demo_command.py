"""``derain-bench demo``: the main job end to end on the built-in synthetic data, on a CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import Device, LeaderboardPath
from derainbench.cli.tables import print_table


@command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for data, runs and samples.")] = Path(
        "demo-output"
    ),
    recipes: Annotated[
        list[str] | None,
        typer.Option("--recipe", help="Train only these recipes (default: every demo recipe)."),
    ] = None,
    seeds: Annotated[
        int, typer.Option("--seeds", help="Seeds per recipe (the view shows mean ± 95 % CI).")
    ] = 2,
    steps_scale: Annotated[
        float, typer.Option("--steps-scale", help="Multiply every recipe's demo steps.")
    ] = 1.0,
    n_train: Annotated[int, typer.Option("--n-train", help="Training pairs to render.")] = 64,
    n_test: Annotated[int, typer.Option("--n-test", help="Test pairs to render.")] = 12,
    size: Annotated[int, typer.Option("--size", help="Side of the rendered pairs, px.")] = 160,
    preset: Annotated[
        str, typer.Option("--preset", help="SynthDrop raindrops: light, medium or large.")
    ] = "medium",
    leaderboard: LeaderboardPath = None,
    device: Device = "auto",
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            help="Runs trained side by side on a CPU (default: one per core); 1 on a GPU.",
        ),
    ] = None,
) -> None:
    """Run the main job end to end on built-in synthetic data (minutes on a CPU).

    Renders a small SynthDrop-SK set (raindrops over dead-leaves scenes and training photos;
    validation pairs; test pairs on held-out photos), trains every recipe that declares a demo
    scale (pix2pix, Attentive GAN, DeblurGAN) with several seeds, side by side on the CPU's
    cores, validating as they train; evaluates each under the y-matlab protocol, appends to the
    leaderboard, says whether each recipe beats the untouched rainy input, and draws the
    validation curves. Rerunning continues an interrupted demo and reuses finished work.
    """
    import derainbench as db
    from derainbench.experiments.demo import DEMO_CHECKPOINT

    result = db.demo(
        out, recipes=recipes or [], seeds=seeds, steps_scale=steps_scale, n_train=n_train,
        n_test=n_test, size=size, preset=preset, leaderboard=leaderboard, device=device,
        processes=processes, console=err_console,
    )  # fmt: skip
    for run in result.runs:
        if run.evaluation is not None:
            means = "  ".join(f"{k} {v:.4f}" for k, v in run.evaluation.means.items())
            console.print(f"{run.training.run.run_id}: {means}")
    console.rule(
        f"results: full-size held-out test images, y-matlab, the {DEMO_CHECKPOINT} weights, "
        f"mean ± 95 % CI over seeds"
    )
    baseline = result.baseline.means
    console.print(
        f"for context, the rainy input itself scores PSNR {baseline['psnr']:.2f} dB, "
        f"SSIM {baseline['ssim']:.4f}"
    )
    for verdict in result.verdicts:
        spread = f" ± {verdict.psnr_sd:.2f} (sd)" if verdict.seeds > 1 else ""
        word = "above" if verdict.margin > 0 else "BELOW"
        console.print(
            f"{verdict.recipe}: PSNR {verdict.psnr_mean:.2f}{spread} dB over {verdict.seeds} "
            f"seed{'s' if verdict.seeds != 1 else ''}, {abs(verdict.margin):.2f} dB {word} the "
            f"rainy input",
            highlight=False,
        )
    print_table(result.table, f"this demo's runs: configs ({len(result.table)} rows)")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    first, last = result.runs[0].run_dir, result.runs[-1].run_dir
    console.print(
        f"\nfiles: leaderboard {result.leaderboard} (every row), plot {result.plot}\n"
        f"       validation curves {result.curves}\n"
        f"       the recipes side by side on test images {result.figure}\n"
        f"       run folders {result.data / 'runs'}/* (config.toml, log.csv, validation.csv, "
        f"samples/ grids of rainy | restored | clean, checkpoints/ last, best and the average "
        f"ema, eval/ per-image CSVs, tensorboard/: tensorboard --logdir {result.data / 'runs'})\n"
        f"next:  derain-bench derain {first} {result.data / 'test' / 'data'} "
        f"--checkpoint {DEMO_CHECKPOINT} "
        f"--out {out / 'derained'}"
        + (f"\n       derain-bench compare {first} {last} --checkpoint {DEMO_CHECKPOINT}"
           if first != last else "")
    )  # fmt: skip
