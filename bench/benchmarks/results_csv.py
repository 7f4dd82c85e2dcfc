"""Writing benchmark results: new measurements replace the old ones of the same machine."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def merge_rows(
    path: Path, rows: list[dict[str, object]], fields: Sequence[str], key: Sequence[str]
) -> None:
    """Write ``rows`` into the CSV at ``path``, dropping earlier rows with the same ``key``
    columns (the same machine and size, say) and keeping every other measurement."""
    measured = {tuple(_text(row.get(k)) for k in key) for row in rows}
    kept = []
    if path.is_file():
        with path.open(newline="") as stream:
            # A key column added since the file was written reads as empty in its old rows.
            kept = [
                r
                for r in csv.DictReader(stream)
                if tuple(_text(r.get(k)) for k in key) not in measured
            ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows([*kept, *rows])


def _text(value: object) -> str:
    """A key value as the CSV writes it (None as an empty cell)."""
    return "" if value is None else str(value)
