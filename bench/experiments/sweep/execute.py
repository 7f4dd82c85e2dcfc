"""Running a sweep's cells where its spec says: local processes (one GPU each when there are
GPUs), or SLURM job arrays through submitit (or submitit's local executor, which runs the same
jobs as local processes, to try a SLURM sweep without a cluster). No scheduler of our own: a
cell is a job, and rerunning a sweep resubmits only the cells that are not done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derainbench.devices import resolve_device
from derainbench.errors import DerainBenchError
from derainbench.experiments.parallel import cpu_cores, run_in_processes
from derainbench.experiments.sweep.cells import cell_status, run_cell, write_state
from derainbench.experiments.sweep.spec import Cell, SweepSpec


@dataclass
class SweepLaunch:
    """What one invocation did: cells it ran or submitted, and those it left (done before,
    refused, duplicates), and the submitit job ids of a SLURM sweep."""

    started: list[Cell] = field(default_factory=list)
    skipped: list[tuple[Cell, str]] = field(default_factory=list)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)


def cells_to_run(
    cells: Sequence[Cell], resubmit: bool = False
) -> tuple[list[Cell], list[tuple[Cell, str]]]:
    """The cells still to run (pending, interrupted or failed; with ``resubmit``, also those
    submitted to a queue that never started), and the others with why."""
    todo, skipped = [], []
    for cell in cells:
        if cell.refused:
            skipped.append((cell, f"refused: {cell.refused}"))
        elif cell.same_as:
            skipped.append((cell, f"same configuration as {cell.same_as}"))
        else:
            assert cell.run_dir is not None and cell.config is not None
            status = cell_status(cell.run_dir, cell.config.train.steps)
            if status.status in ("done", "running") or (
                status.status == "submitted" and not resubmit
            ):
                skipped.append((cell, f"{status.status} {status.detail}".strip()))
            else:
                todo.append(cell)
    return todo, skipped


def _gpu_count(cells: Sequence[Cell]) -> int:
    import torch

    device = cells[0].config.run.device if cells and cells[0].config else "cpu"
    if resolve_device(device).type != "cuda":
        return 0
    return torch.cuda.device_count()


def run_local(
    todo: Sequence[Cell],
    leaderboard: Path | None,
    processes: int | None = None,
    on_result: Callable[[Cell, dict[str, Any]], None] | None = None,
    record: bool = True,
) -> dict[str, dict[str, Any]]:
    """The cells in local processes, ``processes`` at once (default: one per GPU, each cell on
    its own GPU, else one per CPU core with the cores shared out); one process: in this one.
    A cell that fails is recorded and the others go on; a stop (Ctrl-C) ends the batch."""
    if not todo:
        return {}
    gpus = _gpu_count(todo)
    processes = min(processes or gpus or cpu_cores(), len(todo))

    def arguments(cell: Cell, slot: int, threads: int | None) -> tuple[Any, ...]:
        assert cell.config is not None and cell.run_dir is not None
        config = cell.config
        if gpus:
            config = config.replaced(run={"device": f"cuda:{slot % gpus}"})
        return config, cell.run_dir, leaderboard, threads, dict(cell.columns), record

    outcomes: dict[str, dict[str, Any]] = {}
    if processes == 1:
        for cell in todo:
            outcomes[str(cell.run_dir)] = run_cell(*arguments(cell, 0, None))
            if on_result is not None:
                on_result(cell, outcomes[str(cell.run_dir)])
        return outcomes
    threads = None if gpus else max(1, cpu_cores() // processes)

    def task(index: int, slot: int) -> tuple[Callable[..., dict[str, Any]], tuple[Any, ...]]:
        return run_cell, arguments(todo[index], slot, threads)

    def heard(index: int, outcome: dict[str, Any]) -> None:
        if on_result is not None:
            on_result(todo[index], outcome)

    results = run_in_processes(len(todo), task, processes, heard)
    return {str(todo[i].run_dir): results[i] for i in results}


def _submitit_executor(spec: SweepSpec, cluster: str, count: int) -> Any:
    try:
        import submitit
    except ImportError:  # pragma: no cover - a declared dependency
        raise DerainBenchError("the slurm executor needs submitit: pip install submitit") from None
    slurm = dict(spec.executor.slurm)
    executor = submitit.AutoExecutor(folder=str(spec.root / "submitit" / "%j"), cluster=cluster)
    gpus = int(slurm.get("gpus_per_task", 0))
    executor.update_parameters(
        name=f"derainbench-{spec.name}",
        timeout_min=int(slurm.get("time_min", 24 * 60)),
        gpus_per_node=gpus or None,
        tasks_per_node=1,
        cpus_per_task=slurm.get("cpus_per_task"),
        mem_gb=slurm.get("mem_gb"),
        slurm_partition=slurm.get("partition"),
        slurm_array_parallelism=int(slurm.get("array_parallelism", count)),
        slurm_additional_parameters=dict(slurm.get("sbatch", {})) or None,
    )
    return executor


def submit(
    spec: SweepSpec, todo: Sequence[Cell], leaderboard: Path | None, wait: bool
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The cells as one submitit job array (SLURM, or local processes for ``submitit-local``);
    the job ids and, with ``wait``, every job's outcome."""
    if not todo:
        return [], {}
    cluster = "slurm" if spec.executor.name == "slurm" else "local"
    executor = _submitit_executor(spec, cluster, len(todo))
    configs = [cell.config for cell in todo]
    folders = [cell.run_dir for cell in todo]
    jobs = executor.map_array(run_cell, configs, folders, [leaderboard] * len(todo))
    for cell, job in zip(todo, jobs, strict=True):
        assert cell.run_dir is not None
        write_state(cell.run_dir, "submitted", job=str(job.job_id))
    outcomes: dict[str, dict[str, Any]] = {}
    if wait:
        for cell, job in zip(todo, jobs, strict=True):
            try:
                outcomes[str(cell.run_dir)] = job.result()
            except Exception as error:  # noqa: BLE001 - a job's failure: its cell state has it
                outcomes[str(cell.run_dir)] = {"status": "failed", "error": str(error)[:200]}
    return [str(job.job_id) for job in jobs], outcomes


def launch(
    spec: SweepSpec,
    cells: Sequence[Cell],
    *,
    wait: bool = True,
    resubmit: bool = False,
    on_result: Callable[[Cell, dict[str, Any]], None] | None = None,
) -> SweepLaunch:
    """Run (or submit) every cell that is not done, running, refused or a duplicate (nor
    already submitted to a queue, unless ``resubmit``)."""
    todo, skipped = cells_to_run(cells, resubmit)
    launched = SweepLaunch(started=list(todo), skipped=skipped)
    leaderboard = spec.leaderboard
    if spec.executor.name == "local":
        launched.outcomes = run_local(todo, leaderboard, spec.executor.processes, on_result)
    else:
        launched.job_ids, launched.outcomes = submit(spec, todo, leaderboard, wait)
    return launched
