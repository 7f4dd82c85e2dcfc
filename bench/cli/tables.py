"""Tables the commands print: leaderboard views and check reports (shared by several commands)."""

from __future__ import annotations

import json
import math

import pandas as pd
from rich.table import Table

from derainbench.cli.app import console
from derainbench.experiments.check import CheckReport


def print_check_report(report: CheckReport, as_json: bool) -> None:
    """The report as JSON, or as a two-column table with counts written with separators."""
    record = report.as_dict()
    if as_json:
        console.print_json(json.dumps(record))
        return
    table = Table(show_header=False, title="dry run: the combination is valid")
    for key, value in record.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        table.add_row(key, str(shown))
    console.print(table)


def print_table(frame: pd.DataFrame, title: str, compact: bool = True) -> None:
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
