"""``derain-bench figure``: the qualitative comparison of several runs on the same test images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.cli.options import Checkpoint, Device, RunsTestData
from derainbench.errors import DerainBenchError


@command("figure")
def figure_command(
    runs: Annotated[list[Path] | None, typer.Argument(help="Run folders, one column each.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The figure, a .png file.")] = Path(
        "figure.png"
    ),
    images: Annotated[
        int, typer.Option("--images", "-n", help="Test images (rows), spread over the test set.")
    ] = 3,
    checkpoint_choice: Checkpoint = "last",
    test_data: RunsTestData = None,
    device: Device = "auto",
    attention: Annotated[
        Path | None,
        typer.Option(
            "--attention",
            help="Instead: the attention strip of this attentive run (rainy | rain mask | "
            "A1…AN in one colour scale | restored | clean).",
        ),
    ] = None,
) -> None:
    """Draw the same test images restored by every run: rainy | each run | clean, each panel
    with its PSNR (the first run's protocol; the best per image in bold, the rainy input
    included) and the same region, where the rain changed the image most, zoomed in every
    panel."""
    import derainbench as db

    if attention is not None:
        if runs:
            raise DerainBenchError("--attention draws one run: give no other run folders")
        written = db.attention_strip(
            attention, out, images=images, checkpoint=checkpoint_choice, test_data=test_data,
            device=device,
        )  # fmt: skip
    else:
        if not runs:
            raise DerainBenchError("figure needs run folders (or --attention RUN)")
        written = db.figure(
            runs, out, images=images, checkpoint=checkpoint_choice, test_data=test_data,
            device=device,
        )  # fmt: skip
    console.print(f"figure written to {written}")
