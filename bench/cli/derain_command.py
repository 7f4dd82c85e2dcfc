"""``derain-bench derain``: restore image files or folders with a trained generator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import Checkpoint, Device, TrainMode


@command("derain")
def derain_command(
    checkpoint: Annotated[Path, typer.Argument(help="A run folder or a checkpoint file (.pt).")],
    inputs: Annotated[list[Path], typer.Argument(help="Image files and/or folders of images.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the restored PNGs.")] = Path(
        "derained"
    ),
    checkpoint_choice: Checkpoint = "last",
    train_mode: TrainMode = False,
    device: Device = "auto",
    attention: Annotated[
        bool,
        typer.Option(
            "--attention",
            help="Also write each recurrent step's attention map as a heat-map overlay on the "
            "input: OUT/attention/NAME_step1.png ... (attentive generators only).",
        ),
    ] = False,
) -> None:
    """Restore images at their native size and write one PNG per input into --out."""
    import derainbench as db

    written = db.derain(
        checkpoint, inputs, out, checkpoint=checkpoint_choice,
        mode="train" if train_mode else "eval", device=device,
        attention=attention, console=err_console,
    )  # fmt: skip
    console.print(f"{len(written)} restored image(s) written to {out}")
