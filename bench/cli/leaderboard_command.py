"""``derain-bench leaderboard``: the leaderboard as a table, Markdown, CSV or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from derainbench.cli.app import command, console
from derainbench.errors import DerainBenchError
from derainbench.leaderboard import SUMMARY_COLUMNS, default_path, export, read_leaderboard


@command("leaderboard")
def leaderboard_command(
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Leaderboard CSV (default: results/leaderboard.csv)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, md, csv or json.")] = "table",
    all_columns: Annotated[
        bool, typer.Option("--all-columns", help="Every column, not the summary.")
    ] = False,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Keep rows whose COLUMN=VALUE (repeatable)."),
    ] = None,
    sort: Annotated[str, typer.Option("--sort", help="Sort by this column, best first.")] = "psnr",
) -> None:
    """Show the leaderboard; rows come only from `derain-bench eval` runs."""
    frame = read_leaderboard(path or default_path())
    for condition in where or []:
        column, sep, value = condition.partition("=")
        if not sep or column not in frame.columns:
            raise DerainBenchError(
                f"--where '{condition}' must be COLUMN=VALUE with a known column"
            )
        frame = frame[frame[column].astype(str) == value]
    if sort in frame.columns:
        frame = frame.sort_values(sort, ascending=False, kind="stable")
    if not all_columns:
        frame = frame[[c for c in SUMMARY_COLUMNS if c in frame.columns]]
    if fmt != "table":
        typer.echo(export(frame, fmt), nl=False)
        return
    table = Table(title=f"leaderboard ({len(frame)} rows)", title_justify="left")
    for column in frame.columns:
        table.add_column(column, justify="right" if frame[column].dtype.kind in "if" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_format(v) for v in row))
    console.print(table)


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, int) and value >= 10_000:
        return f"{value:,}"
    return str(value)
