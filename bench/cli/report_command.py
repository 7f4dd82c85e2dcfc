"""``derain-bench report``: one self-contained HTML page of results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.cli.options import Device


@command("report")
def report_command(
    runs: Annotated[
        list[Path] | None,
        typer.Argument(help="Run folders to report on (default: the whole leaderboard)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The page, an .html file.")] = Path(
        "report.html"
    ),
    leaderboard: Annotated[
        Path | None,
        typer.Option("--leaderboard", help="Leaderboard CSV (default: the usual one)."),
    ] = None,
    sweep: Annotated[
        Path | None,
        typer.Option("--sweep", help="A sweep file: its finished cells and its leaderboard."),
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="COLUMN=VALUE filter; repeatable.")
    ] = None,
    checkpoint: Annotated[
        str | None,
        typer.Option("--checkpoint", help="Only rows of these weights: last, best or ema."),
    ] = None,
    images: Annotated[int, typer.Option("--images", help="Test images in the figure.")] = 3,
    device: Device = "auto",
) -> None:
    """Write one HTML page (images embedded, no network, no script): the leaderboard with the
    rainy input, quality against cost, the runs' validation curves, the qualitative figure and
    every run's configuration."""
    import derainbench as db

    written = db.report(
        out, runs=runs or [], leaderboard=leaderboard, sweep=sweep, where=where or [],
        checkpoint=checkpoint, images=images, device=device,
    )  # fmt: skip
    console.print(f"report written to {written}")
