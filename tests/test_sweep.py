"""Sweeps: a grid × seeds from one TOML file; cells refused with their reason; rerunning is
safe (finished cells skipped, failed ones retried, no duplicate rows); status from the run
folders; the local and the submitit executors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

import derainbench as db
from derainbench.errors import ConfigError
from derainbench.experiments.sweep.cells import write_state
from derainbench.experiments.sweep.spec import expand, load_sweep
from tests.conftest import TINY_OVERRIDES, model_rows

TINY_SET = [*TINY_OVERRIDES, "run.tensorboard=false", "run.validate_every=1000"]


def sweep_file(tmp_path, grid: str, executor: str = "local", seeds: str = "[0, 1]") -> str:
    text = f"""
[sweep]
name = "t"
seeds = {seeds}
runs = "{tmp_path / "runs"}"
leaderboard = "{tmp_path / "lb.csv"}"

[base]
recipe = "pix2pix"
train_data = "toyrain-sk:train"
test_data = "toyrain-sk:test"
steps = 2
batch_size = 2
crop = 32
device = "cpu"
set = {TINY_SET!r}

[grid]
{grid}

[executor]
name = "{executor}"
processes = 2
"""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "sweep.toml"
    path.write_text(text.replace("'", '"'), encoding="utf-8")
    return str(path)


def test_cells_are_the_grid_times_the_seeds_with_refusals_and_duplicates(tmp_path) -> None:
    spec = load_sweep(sweep_file(
        tmp_path, '"generator.ngf" = [4, 8, 4]\ndiscriminator = ["patchgan", "attentive"]'
    ))  # fmt: skip
    cells = expand(spec)
    assert len(cells) == 3 * 2 * 2
    refused = [c for c in cells if c.refused]
    # The attentive discriminator takes none of the tiny PatchGAN options of [base].
    assert {c.point["discriminator"] for c in refused} == {"attentive"}
    assert all("n_layers" in c.refused for c in refused)
    trained = [c for c in cells if not c.refused]
    assert [c.config.generator.options["ngf"] for c in trained[:2]] == [4, 4]
    assert [c.seed for c in trained[:2]] == [0, 1]
    for cell in trained:
        assert cell.run_dir.name.endswith(f"{cell.config.hash[:8]}-s{cell.seed}")
    # ngf 4 twice: the second grid point is the same configuration, run once.
    duplicates = [c for c in trained if c.same_as]
    assert len(duplicates) == 2 and all(c.point["generator.ngf"] == 4 for c in duplicates)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ('"run.precision" = ["fp32", "bf16"]', r"run settings \(run\.\*\) belong in \[base\]"),
        ("ngf = [4, 8]", "an axis is one of recipe, generator"),
        ("generator = []", "must be a non-empty list"),
    ],
)
def test_a_malformed_grid_is_one_line(tmp_path, grid: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sweep(sweep_file(tmp_path, grid))


def test_unknown_keys_and_executors_are_refused(tmp_path) -> None:
    path = sweep_file(tmp_path, '"generator.ngf" = [4]', executor="cloud")
    with pytest.raises(ConfigError, match="name 'cloud': choose local, slurm, submitit-local"):
        load_sweep(path)
    text = Path(path).read_text().replace("[base]", "[base]\nstep = 3")
    (tmp_path / "typo.toml").write_text(text)
    with pytest.raises(ConfigError, match=r"\[base\]: unknown key\(s\) step"):
        load_sweep(tmp_path / "typo.toml")


def test_a_sweep_runs_once_and_reruns_only_what_is_not_done(tmp_path) -> None:
    path = sweep_file(tmp_path, '"generator.ngf" = [4, 8]')
    cells, launched = db.sweep(path)
    assert len(launched.started) == 4 and not launched.skipped
    assert all(o["status"] == "done" for o in launched.outcomes.values())
    assert len(model_rows(pd.read_csv(tmp_path / "lb.csv"))) == 4
    reports = db.sweep_status(path)
    assert [r.status for r in reports] == ["done"] * 4
    assert reports[0].detail.startswith("psnr ")

    # A failed cell is shown with its line and retried; the done ones are left alone.
    failed = cells[1].run_dir
    write_state(failed, "failed", error="loss 'l1' became nan at step 2")
    assert db.sweep_status(path)[1].detail == "loss 'l1' became nan at step 2"
    _, again = db.sweep(path)
    assert [c.run_dir for c in again.started] == [failed]
    assert len(model_rows(pd.read_csv(tmp_path / "lb.csv"))) == 4  # the retried cell's row replaced
    assert [r.status for r in db.sweep_status(path)] == ["done"] * 4


def test_status_tells_running_interrupted_and_pending_cells(tmp_path) -> None:
    path = sweep_file(tmp_path, '"generator.ngf" = [4]', seeds="[0, 1, 2]")
    cells = expand(load_sweep(path))
    running, interrupted = cells[0].run_dir, cells[1].run_dir
    running.mkdir(parents=True)
    interrupted.mkdir(parents=True)
    (interrupted / "log.csv").write_text("step,g\n1,0.5\n")
    with FileLock(str(running / ".train.lock")):
        states = [(r.status, r.detail) for r in db.sweep_status(path)]
    assert states == [("running", ""), ("pending", "interrupted at step 1/2"), ("pending", "")]


def test_the_submitit_path_runs_the_same_jobs(tmp_path) -> None:
    local = sweep_file(tmp_path / "a", '"generator.ngf" = [4]', seeds="[0]")
    through_submitit = sweep_file(tmp_path / "b", '"generator.ngf" = [4]', "submitit-local", "[0]")
    _, first = db.sweep(local)
    _, second = db.sweep(through_submitit)
    assert second.job_ids and (tmp_path / "b" / "runs" / "t" / "submitit").is_dir()
    [a], [b] = first.outcomes.values(), second.outcomes.values()
    assert b["status"] == "done" and b["scores"] == pytest.approx(a["scores"], abs=1e-9)
