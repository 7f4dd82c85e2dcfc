"""``derain-bench eval``: score a trained generator on full-size test images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import (
    AsJson,
    Checkpoint,
    Device,
    LeaderboardPath,
    Protocol,
    TrainMode,
)


@command("eval")
def eval_command(
    checkpoint: Annotated[
        Path, typer.Argument(help="A run folder or a checkpoint file (.pt).", show_default=False)
    ],
    test_data: Annotated[
        str | None,
        typer.Option(
            "--test-data", help="Folder of pairs or dataset NAME[:SPLIT] (default: the run's)."
        ),
    ] = None,
    protocol: Protocol = None,
    checkpoint_choice: Checkpoint = "last",
    train_mode: TrainMode = False,
    leaderboard: LeaderboardPath = None,
    no_leaderboard: Annotated[
        bool, typer.Option("--no-leaderboard", help="Do not append a leaderboard row.")
    ] = False,
    device: Device = "auto",
    lpips: Annotated[
        str, typer.Option("--lpips", help="LPIPS network: alex, vgg, or none for no column.")
    ] = "alex",
    lpips_weights: Annotated[
        Path | None,
        typer.Option(
            "--lpips-weights",
            help="The trunk's torchvision file (default: $DERAINBENCH_ALEXNET_WEIGHTS or "
            "$DERAINBENCH_VGG16_WEIGHTS, then the torch hub cache).",
        ),
    ] = None,
    require_lpips: Annotated[
        bool,
        typer.Option("--require-lpips", help="Fail when the LPIPS trunk is missing."),
    ] = False,
    extra: Annotated[
        list[str] | None,
        typer.Option(
            "--extra", help="Extra score column (repeatable): ms_ssim, gmsd or fsim (piq)."
        ),
    ] = None,
    costs: Annotated[
        bool, typer.Option("--costs/--no-costs", help="Measure MACs, latency and memory.")
    ] = True,
    as_json: AsJson = False,
) -> None:
    """Score a trained generator on full-size test images under a metric protocol.

    Every test image is reflect-padded to the model's size multiple and cropped back (no
    resizing), quantised to 8 bits by rounding, and scored per image; the per-image CSV goes into
    the run folder and one row is appended to the leaderboard.
    """
    import derainbench as db

    options = db.EvaluationOptions(
        lpips=None if lpips == "none" else lpips,
        lpips_weights=str(lpips_weights) if lpips_weights else None,
        require_lpips=require_lpips,
        extras=tuple(extra or ()),
        costs=costs,
    )
    result = db.evaluate(
        checkpoint, checkpoint=checkpoint_choice, test_data=test_data, protocol=protocol,
        mode="train" if train_mode else None,
        device=device, leaderboard=leaderboard, record=not no_leaderboard, options=options,
        console=err_console,
    )  # fmt: skip
    row = result.row
    board = result.leaderboard
    if as_json:
        record = {**row, "per_image_csv": str(result.per_image_csv)}
        console.print_json(json.dumps({**record, "leaderboard": str(board) if board else None}))
        return
    means = "  ".join(f"{k} {v:.4f}" for k, v in result.means.items())
    if row.get("lpips_alex_note") or row.get("lpips_vgg_note"):
        means += f"  (LPIPS empty: {row.get('lpips_alex_note') or row.get('lpips_vgg_note')})"
    console.print(
        f"[bold]{row['run_id']}[/] on {row['test_data']} ({row['n_images']} images, "
        f"{row['protocol']}, g_mode={row['g_mode']}): {means}"
    )
    console.print(f"per-image results: {result.per_image_csv}")
    if board:
        console.print(f"leaderboard row appended to {board}")
