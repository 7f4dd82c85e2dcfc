"""Where the test error lies: the rain's pixels against the clear ones, in grey levels."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import derainbench as db
from derainbench.cli import app
from derainbench.evaluation.error_split import ErrorTally
from tests.conftest import tiny_config

LEVEL = 1 / 255


def _pair() -> tuple[torch.Tensor, torch.Tensor]:
    clean = torch.full((3, 20, 20), 100 * LEVEL)
    rainy = clean.clone()
    rainy[:, :5, :] -= 40 * LEVEL  # a drop darkens a quarter of the image by 40 levels
    return rainy, clean


def test_a_model_that_removes_the_rain_and_brightens_the_rest_is_told_apart() -> None:
    rainy, clean = _pair()
    restored = clean + 5 * LEVEL
    restored[:, :5, :] = clean[:, :5, :]
    tally = ErrorTally()
    tally.add(rainy, restored, clean)
    summary = tally.summary()
    assert summary["rain_share"] == pytest.approx(0.25)
    assert summary["rain_error_removed"] == pytest.approx(1.0)
    assert summary["rain_rmse_input"] == pytest.approx(40.0)
    assert summary["clear_rmse_input"] == pytest.approx(0.0)
    assert summary["clear_rmse_output"] == pytest.approx(5.0)
    assert summary["clear_shift"] == pytest.approx(5.0)
    assert summary["rain_shift"] == pytest.approx(0.0)


def test_the_input_removes_nothing_and_a_worse_output_removes_a_negative_share() -> None:
    rainy, clean = _pair()
    unchanged, worse = ErrorTally(), ErrorTally()
    unchanged.add(rainy, rainy, clean)
    assert unchanged.summary()["rain_shift"] == pytest.approx(-40.0)  # the drop darkens
    darker = rainy.clone()
    darker[:, :5, :] -= 40 * LEVEL  # twice the drop's error: four times its square
    worse.add(rainy, darker, clean)
    assert unchanged.summary()["rain_error_removed"] == pytest.approx(0.0)
    assert worse.summary()["rain_error_removed"] == pytest.approx(-3.0)
    assert worse.summary()["clear_shift"] == pytest.approx(0.0)


def test_the_threshold_decides_which_pixels_are_rain() -> None:
    rainy, clean = _pair()
    rainy[:, 10:, :] += 10 * LEVEL  # a faint change: rain at threshold 0, clear at 30 levels
    strict, loose = ErrorTally(), ErrorTally()
    strict.add(rainy, rainy, clean, threshold=0.0)
    loose.add(rainy, rainy, clean)
    assert strict.summary()["rain_share"] == pytest.approx(0.75)
    assert loose.summary()["rain_share"] == pytest.approx(0.25)
    assert loose.summary()["clear_rmse_input"] == pytest.approx((10**2 * 10 / 15) ** 0.5)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    return [
        db.run(tiny_config("run.tensorboard=false", steps=2, seed=seed),
               run_dir=root / f"s{seed}", evaluate=False).run_dir
        for seed in (0, 1)
    ]  # fmt: skip


def test_one_row_per_run_beside_the_rainy_input(two_runs: list[Path]) -> None:
    frame = db.error_split(two_runs, device="cpu", threshold=0.0)
    assert list(frame["run"]) == ["rainy input", "pix2pix s0", "pix2pix s1"]
    # The same test pairs for every row: the same rain share and the same input error.
    assert frame["rain_share"].nunique() == 1
    assert frame["rain_rmse_input"].nunique() == 1
    assert frame["rain_error_removed"].iloc[0] == pytest.approx(0.0)
    # Every pixel the toy rain left alone is exact in the input; an untrained model changes it.
    assert frame["clear_rmse_output"].iloc[0] == 0.0
    assert (frame["clear_rmse_output"].iloc[1:] > 0).all()


def test_the_command_prints_the_split_and_refuses_bad_input_in_one_line(
    two_runs: list[Path],
) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["errors", *map(str, two_runs), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "rainy input" in result.output and "clear shift" in result.output
    bad = runner.invoke(app, ["errors", str(two_runs[0]), "--threshold", "300"])
    assert bad.exit_code == 2 and "threshold" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["errors", str(two_runs[0].parent / "nowhere")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
