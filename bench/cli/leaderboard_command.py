"""``derain-bench leaderboard``: configurations with mean ± CI over seeds, or the raw rows."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from derainbench.cli.app import command, console


@command("leaderboard")
def leaderboard_command(
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Leaderboard CSV (default: results/leaderboard.csv)."),
    ] = None,
    view: Annotated[
        str,
        typer.Option(
            "--view", help="configs: seeds pooled (mean ± 95 % CI); runs: one row per evaluation."
        ),
    ] = "configs",
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, md, latex, csv or json.")
    ] = "table",
    all_columns: Annotated[
        bool, typer.Option("--all-columns", help="Every column, not the summary.")
    ] = False,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Keep rows whose COLUMN=VALUE (repeatable)."),
    ] = None,
    sort: Annotated[
        str,
        typer.Option("--sort", help="Sort by this score, best first (`derain-bench list scores`)."),
    ] = "psnr",
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also draw quality against cost into this PNG."),
    ] = None,
    cost: Annotated[
        str, typer.Option("--cost", help="Cost axis of --plot: g_params, g_macs, latency_ms...")
    ] = "g_params",
) -> None:
    """Show the leaderboard: configurations with mean ± CI over seeds, or every row.

    Rows come only from `derain-bench eval` runs. Filter with --where, export with --format,
    and draw quality against cost with --plot.
    """
    from derainbench.reporting.export import export
    from derainbench.reporting.leaderboard import default_path, read_leaderboard
    from derainbench.reporting.views import aggregate_seeds, filter_rows, leaderboard_view

    frame = read_leaderboard(path or default_path())
    formatted = fmt in ("table", "md", "latex")
    table = leaderboard_view(frame, view, where or [], sort, all_columns, formatted)
    if plot is not None and view == "configs" and not table.empty:
        from derainbench.reporting.plots import plot_quality_vs_cost

        plot_quality_vs_cost(aggregate_seeds(filter_rows(frame, where or [])), plot, cost=cost)
    if fmt != "table":
        typer.echo(export(table, fmt), nl=False)
    else:
        _print_table(table, f"leaderboard: {view} ({len(table)} rows)", compact=not all_columns)
    if plot is not None and view == "configs" and not table.empty:
        console.print(f"plot written to {plot}")


def _print_table(frame: pd.DataFrame, title: str, compact: bool = True) -> None:
    # Columns with one value in every row (the test set, the protocol...) go into the title.
    shared = [
        c for c in ("test_data", "protocol", "g_mode") if c in frame and frame[c].nunique() == 1
    ]
    if compact and len(frame) > 1 and shared:
        title += ": " + ", ".join(f"{c} {frame[c].iloc[0]}" for c in shared)
        frame = frame.drop(columns=shared)
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(column, justify="right" if frame[column].dtype.kind in "if" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_format(v) for v in row))
    console.print(table)


def _format(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e6:
        # Parameters and multiply-accumulates: 10.46 M, 1.54 G.
        return f"{value / 1e9:.2f} G" if abs(value) >= 1e9 else f"{value / 1e6:.2f} M"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, int) and value >= 10_000:
        return f"{value:,}"
    return str(value)
