"""What running past one process buys on this machine: one training run on 1 process against 2
processes under torchrun (DDP over gloo on a CPU, NCCL on GPUs), and a tiny 8-cell sweep with 2
local workers against the same sweep run serially.

    python -m derainbench.benchmarks.distributed_speed [--steps 30] [--device cpu]

Writes ``results/distributed.csv``: for training, images per second of the training loop (the
run's own ``train_seconds``: steps only, no start-up, samples or checkpoints) for 1 process with
1 thread, 1 process with every core, and 2 processes with an equal share of the cores each;
for the sweep, the wall time of ``derain-bench sweep`` from start to end (start-up included:
that is what a sweep costs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console

from derainbench.benchmarks.render_speed import cpu_name
from derainbench.benchmarks.results_csv import merge_rows
from derainbench.experiments.parallel import cpu_cores
from derainbench.training.checkpoint import load_checkpoint

DEFAULT_OUT = Path("results") / "distributed.csv"
FIELDS = ["kind", "setup", "processes", "threads_per_process", "recipe", "global_batch",
          "crop", "steps", "cells", "images_per_second", "wall_seconds", "speedup",
          "baseline", "device", "machine", "torch", "date"]  # fmt: skip
#: A demo-width pix2pix on the built-in streak data: big enough that a step is mostly compute.
TRAIN_SETS = ["generator.ngf=32", "generator.num_downs=5", "discriminator.ndf=32",
              "data.train.n=64", "run.tensorboard=false", "run.checkpoint_every=100000",
              "run.sample_every=100000", "run.log_every=10"]  # fmt: skip
SWEEP = """
[sweep]
name = "speed"
seeds = [0, 1]
runs = "{runs}"
leaderboard = "{board}"

[base]
recipe = "pix2pix"
train_data = "toyrain-sk:train"
test_data = "toyrain-sk:test"
steps = {steps}
batch_size = 2
crop = 64
device = "cpu"
set = ["generator.num_downs=6", "discriminator.ndf=8", "data.train.n=16", "data.test.n=4",
       "run.tensorboard=false", "run.validate_every=100000", "run.sample_every=100000"]

[grid]
"generator.ngf" = [8, 16]
"optimizer.generator_lr" = [1e-4, 2e-4]

[executor]
name = "local"
processes = {processes}
"""


def _checked(command: list[str], env: dict[str, str]) -> None:
    """Run ``command``; if it fails, stop with the end of what it printed."""
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command[:6])} ...\n{done.stderr[-3000:]}")


def _train(
    work: Path, name: str, processes: int, threads: int, steps: int, batch: int, crop: int,
    device: str,
) -> float:  # fmt: skip
    """Images per second of one run's training loop."""
    sets = [item for option in TRAIN_SETS for item in ("--set", option)]
    args = ["train", "-r", "pix2pix", "--train-data", "toyrain-sk:train", "--steps", str(steps),
            "--batch-size", str(batch), "--crop", str(crop), "--device", device, "--no-eval",
            "--run-dir", str(work / name), *sets]  # fmt: skip
    if processes == 1:
        command = [sys.executable, "-m", "derainbench", *args]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={processes}", "-m", "derainbench", *args]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    _checked(command, env)
    seconds = load_checkpoint(work / name)["train_seconds"]
    return steps * batch / seconds


def _sweep(work: Path, processes: int, steps: int) -> float:
    """Wall seconds of an 8-cell sweep with ``processes`` local workers."""
    folder = work / f"sweep-{processes}"
    folder.mkdir(parents=True)
    spec = folder / "speed.toml"
    spec.write_text(
        SWEEP.format(runs=folder / "runs", board=folder / "board.csv", steps=steps,
                     processes=processes),
        encoding="utf-8",
    )  # fmt: skip
    start = time.perf_counter()
    _checked([sys.executable, "-m", "derainbench", "sweep", str(spec)], dict(os.environ))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="Training steps per DDP run.")
    parser.add_argument("--batch", type=int, default=4, help="Global batch of the DDP runs.")
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--sweep-steps", type=int, default=20, help="Steps per sweep cell.")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    cores = cpu_cores()
    common = {"device": args.device, "machine": cpu_name(), "torch": torch.__version__,
              "date": dt.date.today().isoformat()}  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="distributed-speed-") as tmp:
        work = Path(tmp)
        setups = [("1 process, 1 thread", 1, 1), (f"1 process, {cores} threads", 1, cores),
                  (f"2 processes (DDP), {max(1, cores // 2)} thread(s) each", 2,
                   max(1, cores // 2))]  # fmt: skip
        speeds = {}
        for index, (setup, processes, threads) in enumerate(setups):
            console.print(f"training: {setup}")
            speeds[setup] = _train(work, f"run{index}", processes, threads, args.steps,
                                   args.batch, args.crop, args.device)  # fmt: skip
        baseline = setups[1][0]
        for setup, processes, threads in setups:
            rows.append({
                "kind": "train", "setup": setup, "processes": processes,
                "threads_per_process": threads, "recipe": "pix2pix",
                "global_batch": args.batch, "crop": args.crop, "steps": args.steps,
                "images_per_second": round(speeds[setup], 3),
                "speedup": round(speeds[setup] / speeds[baseline], 3), "baseline": baseline,
                **common,
            })  # fmt: skip
        walls = {}
        for processes in (1, 2):
            console.print(f"sweep: 8 cells, {processes} local worker(s)")
            walls[processes] = _sweep(work, processes, args.sweep_steps)
        for processes in (1, 2):
            rows.append({
                "kind": "sweep", "setup": f"{processes} local worker(s)",
                "processes": processes, "threads_per_process": max(1, cores // processes),
                "recipe": "pix2pix", "global_batch": 2, "crop": 64,
                "steps": args.sweep_steps, "cells": 8,
                "wall_seconds": round(walls[processes], 1),
                "speedup": round(walls[1] / walls[processes], 3),
                "baseline": "1 local worker(s)", **common,
            })  # fmt: skip
    merge_rows(args.out, rows, FIELDS, key=("kind", "setup", "steps", "device", "machine"))
    for row in rows:
        value = row.get("images_per_second") or f"{row['wall_seconds']} s"
        console.print(f"{row['kind']:6} {row['setup']:40} {value}  ×{row['speedup']}")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
