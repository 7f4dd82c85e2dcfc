"""Nothing lost: a run killed at any point (between steps, in the middle of a checkpoint write,
during evaluation, just after its leaderboard row) and resumed with the same command ends with
the weights of an uninterrupted run, no orphaned files and one row.

Kill points are made exact by a small driver that patches the named function in a real CLI
process and SIGKILLs the process there; SIGTERM (a cluster's pre-emption notice) must
checkpoint and exit 143; a second trainer in the same folder must be refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.runfolder import RunFolder
from tests.conftest import TINY_OVERRIDES, model_rows

STEPS = 12
SETS = [item for o in [*TINY_OVERRIDES, "run.checkpoint_every=2"] for item in ("--set", o)]
ARGS = ["train", "--train-data", "toyrain-sk:train", "--test-data", "toyrain-sk:test",
        "--steps", str(STEPS), "--crop", "32", "--batch-size", "2", "--device", "cpu",
        *SETS]  # fmt: skip

# Runs the CLI with one function replaced by a version that SIGKILLs the process at the named
# point (argv: point, count, then the CLI arguments).
DRIVER = r"""
import os, signal, sys

point, count, cli_args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
calls = {"n": 0}


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def nth():
    calls["n"] += 1
    return calls["n"] == count


import torch
import derainbench.evaluation.evaluate as evaluate
import derainbench.experiments.runner as runner
import derainbench.training.loop as loop

if point == "after-step":
    real_step = loop.train_step

    def step(*args, **kwargs):
        out = real_step(*args, **kwargs)
        if nth():
            die()
        return out

    loop.train_step = step
elif point == "checkpoint-write":
    real_save = torch.save

    def save(obj, stream, *args, **kwargs):
        if nth():
            stream.write(b"half a checkpoint")
            stream.flush()
            die()
        return real_save(obj, stream, *args, **kwargs)

    torch.save = save
elif point == "evaluation":
    real_restore = evaluate.restore

    def restore(*args, **kwargs):
        if nth():
            die()
        return real_restore(*args, **kwargs)

    evaluate.restore = restore
elif point == "after-row":
    real_append = runner.append_row

    def append(*args, **kwargs):
        out = real_append(*args, **kwargs)
        if nth():
            die()
        return out

    runner.append_row = append

from derainbench.cli import main

sys.argv = ["derain-bench", *cli_args]
main()
"""


def _run(args: list[str], cwd: Path, point: str | None = None, count: int = 1):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if point is None:
        command = [sys.executable, "-m", "derainbench.cli", *args]
    else:
        command = [sys.executable, "-c", DRIVER, point, str(count), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _weights(run: Path) -> dict[str, torch.Tensor]:
    state = load_checkpoint(run)
    return {**state["generator"], **{f"d.{k}": v for k, v in state["discriminator"].items()}}


def test_killed_anywhere_and_resumed_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    straight = _run([*ARGS, "--run-dir", "straight", "--leaderboard", "straight.csv"], tmp_path)
    assert straight.returncode == 0, straight.stderr
    run, board = tmp_path / "run", tmp_path / "board.csv"
    command = [*ARGS, "--run-dir", str(run), "--leaderboard", str(board)]
    kills = [
        ("after-step", 3),  # between steps 3 and 4 (the checkpoint of step 2 survives)
        ("checkpoint-write", 2),  # half-way through writing the step-6 checkpoint
        ("after-step", 5),  # step 9
        ("evaluation", 2),  # training done, evaluation half-way
        ("after-row", 1),  # the row written, the process killed before it exits
    ]
    for number, (point, count) in enumerate(kills):
        resume = ["--resume"] if number else []
        killed = _run([*command, *resume], tmp_path, point, count)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-2000:])
    finished = _run([*command, "--resume"], tmp_path)
    assert finished.returncode == 0, finished.stderr

    reference = _weights(tmp_path / "straight")
    for key, value in _weights(run).items():
        assert torch.equal(value, reference[key]), key
    assert load_checkpoint(run)["step"] == STEPS
    leftovers = [p.name for p in run.rglob(".*") if p.name != RunFolder(run).lock_path.name]
    assert leftovers == [], leftovers  # no temporary checkpoint or CSV files left behind
    logged = pd.read_csv(run / "log.csv")["step"].tolist()
    assert logged == list(range(1, STEPS + 1))
    everything = pd.read_csv(board)
    rows, expected = model_rows(everything), model_rows(pd.read_csv(tmp_path / "straight.csv"))
    assert len(rows) == 1, rows  # the killed evaluations and the re-evaluation: one row
    assert len(everything) == 2  # and one rainy-input row
    assert rows["psnr"].item() == pytest.approx(expected["psnr"].item(), abs=1e-9)
    (per_image,) = (run / "eval").glob("*.csv")
    assert len(pd.read_csv(per_image)) == rows["n_images"].item()


def _wait_for_checkpoint(run: Path, process: subprocess.Popen, deadline: float = 240) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop and not (run / "checkpoints" / "last.pt").exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.05)


def test_sigterm_checkpoints_the_finished_step_and_exits_143(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = [*ARGS, "--steps", "400", "--run-dir", str(run), "--no-eval"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "derainbench.cli", *args]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    _wait_for_checkpoint(run, process)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    last = [line for line in stderr.splitlines() if line.strip()][-1]
    assert last.startswith("error: stopped by SIGTERM after step ") and "--resume" in last
    stopped_at = int(last.split("after step ")[1].split()[0])
    assert load_checkpoint(run)["step"] == stopped_at  # the step it finished, saved
    logged = pd.read_csv(run / "log.csv")["step"].tolist()
    assert logged[-1] <= stopped_at


def test_a_second_trainer_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = [*ARGS, "--steps", "400", "--run-dir", str(run), "--no-eval"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "derainbench.cli", *args]
    first = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_checkpoint(run, first)
        second = _run([*args, "--resume"], tmp_path)
        assert second.returncode == 2
        assert "is being trained by another process" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
