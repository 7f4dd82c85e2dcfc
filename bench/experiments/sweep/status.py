"""The state of every cell of a sweep, read from the run folders alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from derainbench.experiments.sweep.cells import cell_status
from derainbench.experiments.sweep.spec import Cell


@dataclass(frozen=True)
class CellReport:
    """One line of ``sweep status``."""

    cell: str
    status: str
    detail: str
    run_dir: str


def sweep_status(cells: Sequence[Cell]) -> list[CellReport]:
    """done / running / submitted / failed (with the failure's line) / pending / refused (with
    the reason) / duplicate, for every cell in grid order."""
    reports = []
    for cell in cells:
        if cell.refused:
            reports.append(CellReport(cell.label, "refused", cell.refused, ""))
        elif cell.same_as:
            reports.append(CellReport(cell.label, "duplicate", f"same as {cell.same_as}",
                                      str(cell.run_dir)))  # fmt: skip
        else:
            assert cell.run_dir is not None and cell.config is not None
            state = cell_status(cell.run_dir, cell.config.train.steps)
            reports.append(CellReport(cell.label, state.status, state.detail, str(cell.run_dir)))
    return reports


def counts(reports: Sequence[CellReport]) -> dict[str, int]:
    """How many cells are in each state."""
    return dict(Counter(report.status for report in reports))
