"""Training on two CPU processes under torchrun (gloo) takes the steps of one process at the same
global batch: equal weights, one writer, a killed rank recovered by torchrun's restart from the
last checkpoint, and a run that continues on another number of processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from derainbench.errors import ConfigError
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.distributed import World, with_synced_batchnorm
from derainbench.training.sampler import StepSampler

TOLERANCE = 1e-5
# The attentive GAN has no BatchNorm and draws no random numbers inside a step, so two ranks
# at global batch 4 compute what one process at batch 4 computes, up to rounding.
TINY = ["generator.width=0.125", "generator.recurrent_steps=2", "discriminator.width=0.125",
        "terms.2.vgg_weights=random-for-tests", "data.train.n=8", "data.train.size=40",
        "data.test.n=2", "data.test.size=36", "run.checkpoint_every=2", "run.log_every=1",
        "run.tensorboard=false", "run.precision=fp32", "run.sample_every=1000"]  # fmt: skip


def _args(steps: int, batch: int = 4) -> list[str]:
    sets = [item for override in TINY for item in ("--set", override)]
    return ["train", "-r", "attentive-gan", "--steps", str(steps), "--crop", "32",
            "--batch-size", str(batch), "--device", "cpu", "--no-eval", *sets]  # fmt: skip


# Runs the CLI; on torchrun's first attempt, rank 1 SIGKILLs itself after its KILL_AT-th step.
KILLER = r"""
import os, signal, sys

import derainbench.training.loop as loop

kill_at = int(os.environ.get("KILL_AT", "0"))
first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
if kill_at and os.environ.get("RANK") == "1" and first_attempt:
    real_step, calls = loop.train_step, {"n": 0}

    def step(*args, **kwargs):
        out = real_step(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    loop.train_step = step

from derainbench.cli import main

sys.argv = ["derain-bench", *sys.argv[1:]]
main()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def _single(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "derainbench", *args], cwd, _env())


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``command`` in a session of its own, killed with all its processes after 300 s: torchrun's
    workers would otherwise outlive a killed torchrun and hold on to their ports."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _torchrun(
    args: list[str], cwd: Path, *, restarts: int = 0, kill_at: int = 0
) -> subprocess.CompletedProcess[str]:
    script = cwd / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", f"--max-restarts={restarts}", str(script), *args]  # fmt: skip
    return _run(command, cwd, {**_env(), "KILL_AT": str(kill_at)})


def _weights(run: Path) -> dict[str, torch.Tensor]:
    state = load_checkpoint(run)
    return {**state["generator"], **{f"d.{k}": v for k, v in state["discriminator"].items()}}


def _largest_difference(a: Path, b: Path) -> float:
    first, second = _weights(a), _weights(b)
    assert first.keys() == second.keys()
    return max(
        (first[k].double() - second[k].double()).abs().max().item()
        for k in first
        if first[k].is_floating_point()
    )


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One process, global batch 4, six steps."""
    cwd = tmp_path_factory.mktemp("single")
    result = _single([*_args(6), "--run-dir", "run"], cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    return cwd / "run"


def test_ranks_split_every_global_batch_into_the_samples_of_one_process() -> None:
    single = list(StepSampler(10, 4, seed=3, start_step=2, total_steps=7))
    shards = [list(StepSampler(10, 4, 3, 2, 7, rank=r, ranks=2)) for r in range(2)]
    for step in range(5):
        together = shards[0][2 * step : 2 * step + 2] + shards[1][2 * step : 2 * step + 2]
        assert together == single[4 * step : 4 * step + 4]


def test_two_processes_take_the_steps_of_one(uninterrupted: Path, tmp_path: Path) -> None:
    result = _torchrun([*_args(6), "--run-dir", "run"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _largest_difference(uninterrupted, tmp_path / "run") < TOLERANCE
    # Rank 0 alone wrote the log (one row per step) and printed the summary.
    assert pd.read_csv(tmp_path / "run" / "log.csv")["step"].tolist() == [1, 2, 3, 4, 5, 6]
    assert result.stdout.count("run_dir:") == 1
    assert load_checkpoint(tmp_path / "run")["processes"] == 2


def test_a_killed_rank_is_restarted_from_the_last_checkpoint(
    uninterrupted: Path, tmp_path: Path
) -> None:
    result = _torchrun([*_args(6), "--run-dir", "run"], tmp_path, restarts=1, kill_at=3)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming run at step 2 of 6" in result.stderr
    assert _largest_difference(uninterrupted, tmp_path / "run") < TOLERANCE
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "best.pt",
        "last.pt",
    ]  # no temporary file left by the kill
    assert pd.read_csv(tmp_path / "run" / "log.csv")["step"].tolist() == [1, 2, 3, 4, 5, 6]


def test_a_run_continues_on_another_number_of_processes(
    uninterrupted: Path, tmp_path: Path
) -> None:
    started = _torchrun([*_args(4), "--run-dir", "run"], tmp_path)
    assert started.returncode == 0, started.stderr[-3000:]
    continued = _single(["train", "--run-dir", "run", "--resume", "--steps", "6"], tmp_path)
    assert continued.returncode == 0, continued.stderr[-3000:]
    assert _largest_difference(uninterrupted, tmp_path / "run") < TOLERANCE


def test_a_batch_that_does_not_split_over_the_processes_is_one_line(tmp_path: Path) -> None:
    result = _torchrun([*_args(2, batch=3), "--run-dir", "run"], tmp_path)
    assert result.returncode != 0
    # Each process says it in one line; what follows is torchrun's own report of the failure.
    ours = result.stderr.split("failed (exitcode")[0]
    assert "Traceback" not in ours
    errors = [line for line in ours.splitlines() if line.startswith("error:")]
    assert errors and set(errors) == {
        "error: train.batch_size=3 cannot be split evenly over 2 processes: choose a multiple of 2"
    }


def test_synced_batchnorm_is_refused_without_gpus() -> None:
    network = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    with pytest.raises(ConfigError, match="run.sync_batchnorm needs CUDA GPUs"):
        with_synced_batchnorm(network, World(rank=0, size=2), torch.device("cpu"))
    assert with_synced_batchnorm(network, World(), torch.device("cpu")) is network
