"""``derain-bench errors``: where runs' test error lies, on the rain or on the clear pixels."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from derainbench.cli.app import command, console, err_console
from derainbench.cli.options import AsJson, Checkpoint, Device, RunsTestData


@command("errors")
def errors_command(
    runs: Annotated[list[Path], typer.Argument(help="Run folders, one row each.")],
    checkpoint_choice: Checkpoint = "last",
    test_data: RunsTestData = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            help="A pixel is rain where any channel of the rainy image differs from the clean "
            "one by more than this many grey levels (0-254; 30 is the Attentive GAN paper's "
            "mask rule; 0 counts every changed pixel, for exact synthetic pairs).",
        ),
    ] = 30.0,
    device: Device = "auto",
    as_json: AsJson = False,
) -> None:
    """Split each run's squared test error into the pixels the rain changed and the pixels it
    did not: how much of the rain's error the model removed, and what it did to the clear
    pixels (their RMSE before and after, and their mean change of brightness), in 8-bit grey
    levels pooled over the test set, beside the untouched rainy input."""
    import derainbench as db

    frame = db.error_split(
        runs, checkpoint=checkpoint_choice, test_data=test_data, threshold=threshold / 255,
        device=device, console=err_console,
    )  # fmt: skip
    if as_json:
        console.print_json(json.dumps(frame.to_dict(orient="records"), allow_nan=True))
        return
    share = frame["rain_share"].iloc[0]
    table = Table(
        title=f"error on the rain ({share:.0%} of the pixels: a channel off by more than "
        f"{threshold:g} grey levels) and on the clear pixels, {checkpoint_choice} weights",
        title_justify="left",
    )
    columns = ("run", "rain error removed", "rain RMSE", "rain shift", "clear RMSE", "clear shift")
    for column in columns:
        table.add_column(column, justify="left" if column == "run" else "right")
    for row in frame.itertuples(index=False):
        removed = "" if row.run == "rainy input" else _percent(row.rain_error_removed)
        table.add_row(
            row.run, removed, f"{row.rain_rmse_output:.2f}", f"{row.rain_shift:+.2f}",
            f"{row.clear_rmse_output:.2f}", f"{row.clear_shift:+.2f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        "RMSE and shift in grey levels (0-255); a shift is the mean of output - clean over "
        "those pixels (the rainy input's rain shift: how much the rain brightens or darkens what "
        "it covers). A model that loses to its input often removes part of the "
        "rain's error and adds error on the clear pixels."
    )


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.0%}"
