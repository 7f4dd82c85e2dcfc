"""``derain-bench leaderboard``: configurations with mean ± CI over seeds, or the raw rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.cli.tables import print_table


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
    from derainbench.reporting.views import (
        aggregate_seeds,
        leaderboard_view,
        with_rainy_input,
        with_weights,
    )

    frame = read_leaderboard(path or default_path())
    formatted = fmt in ("table", "md", "latex")
    table = leaderboard_view(frame, view, where or [], sort, all_columns, formatted)
    if plot is not None and view == "configs" and not table.empty:
        from derainbench.reporting.plots import plot_quality_vs_cost

        configs = aggregate_seeds(with_rainy_input(with_weights(frame), where or []))
        plot_quality_vs_cost(configs, plot, cost=cost)
    if fmt != "table":
        typer.echo(export(table, fmt), nl=False)
    else:
        print_table(table, f"leaderboard: {view} ({len(table)} rows)", compact=not all_columns)
    if plot is not None and view == "configs" and not table.empty:
        console.print(f"plot written to {plot}")
