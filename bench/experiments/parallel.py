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

from rich.console import Console

from derainbench.config import ExperimentConfig
from derainbench.devices import resolve_device
from derainbench.experiments.runner import ExperimentResult, run_experiment


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
    results: dict[int, ExperimentResult] = {}
    if processes == 1:
        for index, run in enumerate(runs):
            results[index] = run_experiment(
                run.config, run_dir=run.run_dir, resume=True, leaderboard=leaderboard,
                skip_if_recorded=True, checkpoint=run.checkpoint, console=console,
            )  # fmt: skip
            if on_finish is not None:
                on_finish(run, results[index])
        return [results[i] for i in range(len(runs))]
    threads = max(1, cores // processes)
    # spawn, not fork: a forked child inherits torch's thread pools and any open progress bar.
    context = multiprocessing.get_context("spawn")
    pending = list(enumerate(runs))
    running: dict[Future[ExperimentResult], int] = {}
    # At most ``processes`` runs are handed out at a time (the executor would queue more and
    # start them even after a stop): a run that fails or is stopped (Ctrl-C reaches every
    # worker, which checkpoints and stops its run) ends the batch, with no run started after
    # it. Rerunning continues where each run stopped.
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        while pending or running:
            while pending and len(running) < processes:
                index, run = pending.pop(0)
                run.run_dir.mkdir(parents=True, exist_ok=True)
                log = run.run_dir / "console.log"
                running[pool.submit(_quiet_run, run, leaderboard, threads, log)] = index
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                results[index] = future.result()  # a failed or stopped run raises here
                if on_finish is not None:
                    on_finish(runs[index], results[index])
    return [results[i] for i in range(len(runs))]
