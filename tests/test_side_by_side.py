"""Runs trained side by side in worker processes give what the same runs give in-process."""

from __future__ import annotations

import pandas as pd
import pytest

from derainbench.experiments.parallel import PlannedRun, run_side_by_side
from derainbench.reporting.leaderboard import read_leaderboard
from tests.conftest import model_rows, tiny_config


def test_runs_side_by_side_equal_runs_in_process_and_keep_their_order(tmp_path) -> None:
    configs = [tiny_config(seed=seed, steps=2) for seed in (0, 1)]
    heard = []
    parallel = run_side_by_side(
        [PlannedRun(c, tmp_path / "side" / f"s{c.train.seed}") for c in configs],
        leaderboard=tmp_path / "side.csv", processes=2,
        on_finish=lambda run, _: heard.append(run.run_dir.name),
    )  # fmt: skip
    in_process = run_side_by_side(
        [PlannedRun(c, tmp_path / "one" / f"s{c.train.seed}") for c in configs],
        leaderboard=tmp_path / "one.csv", processes=1,
    )  # fmt: skip
    assert sorted(heard) == ["s0", "s1"]
    assert [r.training.config.train.seed for r in parallel] == [0, 1]
    for a, b in zip(parallel, in_process, strict=True):
        assert a.evaluation is not None and b.evaluation is not None
        assert a.evaluation.means == pytest.approx(b.evaluation.means, abs=1e-9)
    rows = model_rows(read_leaderboard(tmp_path / "side.csv"))
    assert sorted(rows["seed"].tolist()) == [0, 1]  # one row per run, both written
    assert (tmp_path / "side" / "s0" / "console.log").read_text().strip()


def test_finished_runs_are_reused_not_retrained(tmp_path) -> None:
    run = PlannedRun(tiny_config(steps=2), tmp_path / "run")
    first = run_side_by_side([run], leaderboard=tmp_path / "lb.csv", processes=1)
    again = run_side_by_side([run], leaderboard=tmp_path / "lb.csv", processes=1)
    assert again[0].training.train_seconds == first[0].training.train_seconds
    assert len(model_rows(pd.read_csv(tmp_path / "lb.csv"))) == 1  # not appended twice


def test_a_failed_run_ends_the_batch_with_no_run_started_after_it(tmp_path) -> None:
    from derainbench.errors import DerainBenchError
    from derainbench.experiments.compose import compose

    missing = {"name": "paired-folder", "root": str(tmp_path / "no-such-folder")}
    broken = compose(tiny_config(steps=2).to_dict(), train_data=missing)
    runs = [PlannedRun(broken, tmp_path / "broken")] + [
        PlannedRun(tiny_config(seed=seed, steps=2), tmp_path / f"s{seed}") for seed in (1, 2, 3)
    ]
    with pytest.raises(DerainBenchError, match="no-such-folder"):
        run_side_by_side(runs, leaderboard=tmp_path / "lb.csv", processes=2)
    assert not (tmp_path / "s2").exists() and not (tmp_path / "s3").exists()  # never started
