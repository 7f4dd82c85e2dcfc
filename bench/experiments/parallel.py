"""Several experiments at once on a CPU: one process per run, each on its share of the cores.

Small networks use two cores better as two single-threaded runs than as one run on two
threads (intra-op threading of small convolutions scales poorly), so the demo and the learning
benchmark train their runs side by side. On a GPU, runs go one at a time in this process: they
would otherwise compete for the one device.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from derainbench.config import ExperimentConfig
from derainbench.devices import resolve_device
from derainbench.experiments.runner import ExperimentResult, run_experiment

T = TypeVar("T")


@dataclass(frozen=True)
class PlannedRun:
    """One experiment of a batch: its configuration and its folder."""

    config: ExperimentConfig
    run_dir: Path
    #: The weights evaluated once it is trained: last, best or ema.
    checkpoint: str = "last"


def cpu_cores() -> int:
    """The cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _quiet_run(
    run: PlannedRun, leaderboard: Path | None, threads: int, log: Path
) -> ExperimentResult:
    """A worker's job: train and evaluate one run, its console going to ``log``."""
    import torch

    torch.set_num_threads(threads)
    with log.open("a", encoding="utf-8") as stream:
        console = Console(file=stream, width=120, force_terminal=False)
        return run_experiment(
            run.config, run_dir=run.run_dir, resume=True, leaderboard=leaderboard,
            skip_if_recorded=True, checkpoint=run.checkpoint, console=console,
        )  # fmt: skip


def run_in_processes(
    count: int,
    task: Callable[[int, int], tuple[Callable[..., T], tuple[Any, ...]]],
    processes: int,
    on_result: Callable[[int, T], None] | None = None,
) -> dict[int, T]:
    """Run tasks ``0 … count−1`` in ``processes`` spawned worker processes; ``task(index,
    slot)`` gives the function and arguments of task ``index`` on worker slot ``slot`` (which a
    caller may map to a GPU). Results by index.

    At most ``processes`` tasks are handed out at a time (the executor would queue more and
    start them even after a stop): a task that raises (a failed run, or one stopped by Ctrl-C,
    which reaches every worker, each checkpointing and stopping its run) ends the batch, with
    no task started after it."""
    # spawn, not fork: a forked child inherits torch's thread pools and any open progress bar.
    context = multiprocessing.get_context("spawn")
    pending = list(range(count))
    free = list(range(processes))
    running: dict[Future[T], tuple[int, int]] = {}
    results: dict[int, T] = {}
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        while pending or running:
            while pending and free:
                index, slot = pending.pop(0), free.pop(0)
                function, arguments = task(index, slot)
                running[pool.submit(function, *arguments)] = (index, slot)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index, slot = running.pop(future)
                free.append(slot)
                results[index] = future.result()  # a failed or stopped task raises here
                if on_result is not None:
                    on_result(index, results[index])
    return results


def run_side_by_side(
    runs: Sequence[PlannedRun],
    *,
    leaderboard: Path | None,
    processes: int | None = None,
    console: Console | None = None,
    on_finish: Callable[[PlannedRun, ExperimentResult], None] | None = None,
) -> list[ExperimentResult]:
    """Train and evaluate ``runs`` (resuming or reusing earlier work), ``processes`` at a time
    (default: one per core on a CPU, one in all on a GPU); results in the order of ``runs``.

    Each worker writes its progress to ``<run>/console.log``; ``on_finish`` hears of every
    run as it finishes."""
    console = console or Console(stderr=True)
    if not runs:
        return []
    on_gpu = resolve_device(runs[0].config.run.device).type != "cpu"
    cores = cpu_cores()
    processes = 1 if on_gpu else min(processes or cores, len(runs))
    if processes == 1:
        results = []
        for run in runs:
            results.append(run_experiment(
                run.config, run_dir=run.run_dir, resume=True, leaderboard=leaderboard,
                skip_if_recorded=True, checkpoint=run.checkpoint, console=console,
            ))  # fmt: skip
            if on_finish is not None:
                on_finish(run, results[-1])
        return results
    threads = max(1, cores // processes)

    def task(index: int, slot: int) -> tuple[Callable[..., ExperimentResult], tuple[Any, ...]]:
        run = runs[index]
        run.run_dir.mkdir(parents=True, exist_ok=True)
        return _quiet_run, (run, leaderboard, threads, run.run_dir / "console.log")

    def heard(index: int, result: ExperimentResult) -> None:
        if on_finish is not None:
            on_finish(runs[index], result)

    results_by_index = run_in_processes(len(runs), task, processes, heard)
    return [results_by_index[i] for i in range(len(runs))]
