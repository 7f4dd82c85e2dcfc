"""``derain-bench demo``: the main job end to end on the built-in synthetic data, on a CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import Device, LeaderboardPath

# A small pix2pix that trains in minutes on two CPU cores: the paper's architecture at reduced
# width and depth (ngf 32, 7 levels for 128-px crops). The recipe itself is unchanged.
DEMO_OVERRIDES = [
    "generator.ngf=32",
    "generator.num_downs=7",
    "discriminator.ndf=32",
    "run.sample_every=100",
    "run.checkpoint_every=50",
]


@command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for data, runs and samples.")] = Path(
        "demo-output"
    ),
    steps: Annotated[int, typer.Option("--steps", help="Training steps.")] = 400,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Pairs per step.")] = 4,
    n_train: Annotated[int, typer.Option("--n-train", help="Training pairs to render.")] = 64,
    n_test: Annotated[int, typer.Option("--n-test", help="Test pairs to render.")] = 12,
    size: Annotated[int, typer.Option("--size", help="Side of the rendered pairs, px.")] = 160,
    preset: Annotated[
        str, typer.Option("--preset", help="SynthDrop raindrops: light, medium or large.")
    ] = "medium",
    seed: Annotated[int, typer.Option("--seed", help="Seeds the data and the training.")] = 0,
    leaderboard: LeaderboardPath = None,
    device: Device = "auto",
) -> None:
    """Run the main job end to end on built-in synthetic data (minutes on a CPU).

    Renders a small SynthDrop-SK set (raindrops on the photos shipped with scikit-image) to disk,
    trains pix2pix briefly on it, evaluates it under the y-matlab protocol, appends to the
    leaderboard and shows it.
    Rerunning continues an interrupted demo and re-uses finished work.
    """
    from derainbench.baselines import InputAsOutput
    from derainbench.cli.train_command import build_config
    from derainbench.config import config_hash
    from derainbench.datasets.raindrop_presets import RENDERER_VERSION
    from derainbench.datasets.synth_writer import write_synthdrop
    from derainbench.datasets.synthdrop import SYNTHDROP_NAME
    from derainbench.evaluation import evaluate_generator, evaluate_run
    from derainbench.leaderboard import default_path, read_leaderboard
    from derainbench.runfolder import RunFolder, default_run_id
    from derainbench.training.components import build_dataset
    from derainbench.training.loop import existing_run_state, train

    board = leaderboard or default_path()
    console.rule(
        f"1/3 data: {SYNTHDROP_NAME} v{RENDERER_VERSION} (raindrops rendered on real photos, "
        "a proxy)"
    )
    # Written to disk, so the run reads it through the same paired-folder path as real data;
    # test backgrounds are photos the training set never shows. The folder names the renderer
    # version and preset, so a changed set never resumes a run trained on the old one.
    data = out / f"synthdrop-v{RENDERER_VERSION}-{preset}"
    for split, count in (("train", n_train), ("test", n_test)):
        write_synthdrop(data / split, count, size, preset, seed, split)
    console.print(f"{n_train} training and {n_test} held-out-photo test pairs in {data}")

    console.rule("2/3 train: pix2pix (U-Net + conditional PatchGAN) at demo scale")
    config = build_config(
        "pix2pix",
        train_data=str(data / "train"),
        test_data=str(data / "test"),
        steps=steps,
        batch_size=batch_size,
        crop=128,
        seed=seed,
        device=device,
        overrides=DEMO_OVERRIDES,
    )
    digest = config_hash(config)
    run = RunFolder(out / "runs" / default_run_id(config, digest))
    state = existing_run_state(run)
    if state is not None and state["step"] >= state["total_steps"]:
        console.print(f"re-using the finished run {run.root}")
    else:
        train(config, run.root, resume=state is not None, console=err_console)

    console.rule("3/3 evaluate: full-size test images, y-matlab PSNR / SSIM")
    # A rerun of a finished demo shows its row again rather than appending a duplicate.
    already = board.is_file() and (read_leaderboard(board)["run_id"] == run.run_id).any()
    evaluation, row = evaluate_run(
        run.root, leaderboard=None if already else board, device=device, console=err_console
    )
    test_set = build_dataset(config["data"]["test"])
    baseline = evaluate_generator(InputAsOutput(), test_set, row["protocol"], console=err_console)
    console.print(
        f"rainy input (no restoration): PSNR {baseline.means['psnr']:.2f} dB, "
        f"SSIM {baseline.means['ssim']:.4f}\n"
        f"pix2pix restored:             PSNR {evaluation.means['psnr']:.2f} dB, "
        f"SSIM {evaluation.means['ssim']:.4f}"
    )
    from derainbench.cli.leaderboard_command import leaderboard_command

    frame = read_leaderboard(board)
    console.print(f"leaderboard {board}: {len(frame)} row(s)")
    leaderboard_command(path=board, where=[f"run_id={row['run_id']}"])
    console.print(
        f"\nfiles: run folder {run.root} (config.toml, log.csv, samples/, checkpoints/, eval/)\n"
        f"       sample grids (rainy | restored | clean) in {run.samples_dir}\n"
        f"       per-image results {row['per_image_csv']}\n"
        f"next:  derain-bench derain {run.root} {data / 'test' / 'data'} --out {out / 'derained'}"
    )
