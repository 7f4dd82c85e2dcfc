"""``derain-bench sweep``: a grid of experiments × seeds from one TOML file, and its status."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from derainbench.cli.app import command, console, err_console
from derainbench.errors import DerainBenchError

STYLES = {"done": "green", "running": "cyan", "submitted": "cyan", "failed": "red",
          "refused": "yellow", "duplicate": "dim", "pending": ""}  # fmt: skip


@command("sweep")
def sweep_command(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="[status] SPEC.toml",
            help="A sweep file; 'status SPEC.toml' shows its cells instead of running them.",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the cells and what would run; run none.")
    ] = False,
    wait: Annotated[
        bool | None,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for submitted jobs to end (default: wait for submitit-local, return "
            "after submitting for slurm).",
        ),
    ] = None,
    resubmit: Annotated[
        bool,
        typer.Option(
            "--resubmit", help="Also run cells submitted to a queue earlier that never started."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the cells as JSON.")] = False,
) -> None:
    """Run every cell of a sweep: the grid of [grid] × [sweep] seeds over the [base] options.

    Each cell is one run whose folder follows from its configuration hash and seed, under
    RUNS/NAME/ ([sweep] runs and name). Finished cells are skipped and interrupted ones
    resumed, so rerunning a sweep is always safe; a combination that cannot train is listed
    with its reason, not run.
    [executor] name = "local" runs cells side by side (one per GPU, or one per CPU core);
    "slurm" submits them as a job array through submitit (partition, time_min, gpus_per_task,
    cpus_per_task, mem_gb, array_parallelism, sbatch options under [executor.slurm]);
    "submitit-local" runs the same jobs as local processes. All rows go to one leaderboard.
    `derain-bench sweep status SPEC.toml` shows done, running, failed (with the failure's
    line) and pending cells.
    """
    import derainbench as db
    from derainbench.experiments.sweep.spec import expand, load_sweep
    from derainbench.experiments.sweep.status import sweep_status

    if words[0] == "status":
        if len(words) != 2:
            raise DerainBenchError("usage: derain-bench sweep status SPEC.toml")
        reports = db.sweep_status(Path(words[1]))
        _print_reports(reports, f"sweep {words[1]}", as_json)
        return
    if len(words) != 1:
        raise DerainBenchError("usage: derain-bench sweep SPEC.toml (or: sweep status SPEC.toml)")
    if dry_run:
        spec = load_sweep(words[0])
        _print_reports(sweep_status(expand(spec)), f"sweep {spec.name} (dry run)", as_json)
        return

    def heard(cell: Any, outcome: dict[str, Any]) -> None:
        detail = outcome.get("error") or "  ".join(
            f"{k} {v:.4f}" for k, v in sorted(outcome.get("scores", {}).items())
        )
        err_console.print(f"{outcome['status']}: {cell.label}: {detail}", highlight=False)

    cells, launched = db.sweep(words[0], wait=wait, resubmit=resubmit, on_result=heard)
    if launched.job_ids:
        err_console.print(f"submitted {len(launched.job_ids)} jobs: {', '.join(launched.job_ids)}")
    for cell, why in launched.skipped:
        err_console.print(f"[dim]skipped {cell.label}: {why}[/]", highlight=False)
    _print_reports(sweep_status(cells), f"sweep {words[0]}", as_json)


def _print_reports(reports: list[Any], title: str, as_json: bool) -> None:
    from derainbench.experiments.sweep.status import counts

    if as_json:
        console.print_json(json.dumps([asdict(r) for r in reports]))
        return
    table = Table(title=f"{title}: " + ", ".join(f"{n} {s}" for s, n in counts(reports).items()),
                  title_justify="left")  # fmt: skip
    for column in ("cell", "status", "detail", "run"):
        table.add_column(column, overflow="fold")
    for report in reports:
        style = STYLES.get(report.status, "")
        status = f"[{style}]{report.status}[/]" if style else report.status
        table.add_row(report.cell, status, report.detail, Path(report.run_dir).name)
    console.print(table)
