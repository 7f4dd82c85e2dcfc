"""``derain-bench demo``: the main job end to end on the built-in synthetic data, on a CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import Device, LeaderboardPath


@command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for data, runs and samples.")] = Path(
        "demo-output"
    ),
    recipes: Annotated[
        list[str] | None,
        typer.Option("--recipe", help="Train only these recipes (default: all three papers)."),
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
) -> None:
    """Run the main job end to end on built-in synthetic data (minutes on a CPU).

    Renders a small SynthDrop-SK set (raindrops on the photos shipped with scikit-image), trains
    the pix2pix, Attentive GAN and DeblurGAN recipes at demo scale with several seeds, evaluates
    each under the y-matlab protocol, appends to the leaderboard and shows the configurations
    with mean ± CI over seeds. Rerunning continues an interrupted demo and reuses finished work.
    """
    from derainbench.cli.leaderboard_command import leaderboard_command
    from derainbench.datasets.synthdrop.dataset import SYNTHDROP_NAME
    from derainbench.datasets.synthdrop.presets import RENDERER_VERSION
    from derainbench.datasets.synthdrop.writer import write_synthdrop
    from derainbench.errors import DerainBenchError
    from derainbench.evaluation.baselines import InputAsOutput
    from derainbench.evaluation.evaluate import dataset_label, evaluate_generator
    from derainbench.experiments.demo import DEMO_RUNS
    from derainbench.reporting.leaderboard import default_path
    from derainbench.training.components import build_dataset

    board = leaderboard or default_path()
    runs = [r for r in DEMO_RUNS if not recipes or r.recipe in recipes]
    if not runs:
        known = ", ".join(r.recipe for r in DEMO_RUNS)
        raise DerainBenchError(f"no demo for recipe(s) {', '.join(recipes or [])}; known: {known}")
    console.rule(f"data: {SYNTHDROP_NAME} v{RENDERER_VERSION}, raindrops rendered on real photos")
    # Written to disk, so the runs read it through the same paired-folder path as real data;
    # test photos are never seen in training. The folder names the renderer version and preset,
    # so a changed set never resumes a run trained on the old one.
    data = out / f"synthdrop-v{RENDERER_VERSION}-{preset}"
    for split, count in (("train", n_train), ("test", n_test)):
        write_synthdrop(data / split, count, size, preset, 0, split)
    console.print(f"{n_train} training and {n_test} held-out-photo test pairs in {data}")
    test_spec = {"name": "paired-folder", "root": str(data / "test")}

    notes: list[str] = []
    folders: list[Path] = []
    for number, run in enumerate(runs, 1):
        for seed in range(seeds):
            console.rule(f"{number}/{len(runs)} {run.recipe}, seed {seed}: train and evaluate")
            folder, run_notes = _train_and_evaluate(run, seed, data, steps_scale, board, device)
            folders.append(folder)
            notes += [n for n in run_notes if n not in notes]

    console.rule("results: full-size held-out test images, y-matlab, mean ± 95 % CI over seeds")
    baseline = evaluate_generator(
        InputAsOutput(), build_dataset(test_spec), "y-matlab", console=err_console
    )
    console.print(
        f"for context, the rainy input itself scores PSNR {baseline.means['psnr']:.2f} dB, "
        f"SSIM {baseline.means['ssim']:.4f}"
    )
    plot = out / "quality-vs-cost.png"
    leaderboard_command(path=board, where=[f"test_data={dataset_label(test_spec)}"], plot=plot)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(
        f"\nfiles: leaderboard {board} (every row), plot {plot}\n"
        f"       run folders {out / 'runs'}/* (config.toml, log.csv, samples/ grids of "
        f"rainy | restored | clean, checkpoints/, eval/ per-image CSVs)\n"
        f"next:  derain-bench derain {folders[0]} {data / 'test' / 'data'} "
        f"--out {out / 'derained'}\n"
        f"       derain-bench compare {folders[0]} {folders[-1]}"
    )


def _train_and_evaluate(
    run, seed: int, data: Path, steps_scale: float, board: Path, device: str
) -> tuple[Path, list[str]]:
    """Train one demo run (resuming or reusing earlier work) and add its leaderboard row once."""
    from derainbench.cli.train_command import build_config
    from derainbench.config import config_hash, load_recipe
    from derainbench.evaluation.evaluate import evaluate_run
    from derainbench.experiments.demo import substitute_missing_weights
    from derainbench.reporting.leaderboard import read_leaderboard
    from derainbench.training.loop import existing_run_state, train
    from derainbench.training.runfolder import RunFolder, default_run_id

    recipe, notes = substitute_missing_weights(load_recipe(run.recipe), run)
    recipe["data"] = {  # the exact soft masks from the files, for the attention loss
        "train": {"name": "paired-folder", "root": str(data / "train"), "mask_rule": "file"},
        "test": {"name": "paired-folder", "root": str(data / "test")},
    }
    config = build_config(
        recipe,
        steps=max(1, round(run.steps * steps_scale)),
        batch_size=run.batch_size,
        crop=run.crop,
        seed=seed,
        device=device,
        overrides=[*run.overrides, "run.sample_every=50", "run.checkpoint_every=25"],
    )
    folder = RunFolder(Path(data.parent) / "runs" / default_run_id(config, config_hash(config)))
    state = existing_run_state(folder)
    if state is not None and state["step"] >= state["total_steps"]:
        console.print(f"re-using the finished run {folder.root}")
    else:
        train(config, folder.root, resume=state is not None, console=err_console)
    # A rerun of a finished demo keeps its row rather than appending a duplicate.
    done = board.is_file() and (read_leaderboard(board)["run_id"] == folder.run_id).any()
    evaluation, _ = evaluate_run(
        folder.root, leaderboard=None if done else board, device=device, console=err_console
    )
    means = "  ".join(f"{k} {v:.4f}" for k, v in evaluation.means.items())
    console.print(f"{folder.run_id}: {means}")
    return folder.root, notes
