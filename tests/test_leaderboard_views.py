"""Leaderboard views: seeds pooled per configuration with a t-interval, exports, the cost plot."""

from __future__ import annotations

import json
import math

import pytest
from PIL import Image
from scipy import stats
from typer.testing import CliRunner

from derainbench.cli import app
from derainbench.reporting.leaderboard import append_row, read_leaderboard
from derainbench.reporting.views import aggregate_seeds, confidence_halfwidth

RUNS = {  # configuration → PSNR per seed
    ("aaa", "unet", "patchgan"): [30.0, 31.0, 32.0],
    ("bbb", "resnet", "critic"): [28.0, 28.5],
    ("ccc", "unet", "none"): [27.0],
}


@pytest.fixture
def board(tmp_path):
    path = tmp_path / "board.csv"
    for (digest, generator, discriminator), values in RUNS.items():
        for seed, psnr in enumerate(values):
            append_row(path, {
                "run_id": f"{digest}-s{seed}", "config_hash": digest, "recipe": "r",
                "generator": generator, "discriminator": discriminator, "test_data": "set:test",
                "protocol": "y-matlab", "g_mode": "eval", "n_images": 4, "psnr": psnr,
                "ssim": 0.9 - 0.01 * seed, "seed": seed, "g_params": 1000 * len(values),
            })  # fmt: skip
    return path


def test_seeds_are_pooled_with_a_student_t_interval(board) -> None:
    configs = aggregate_seeds(read_leaderboard(board)).set_index("config_hash")
    assert configs.loc["aaa", "n_seeds"] == 3
    assert configs.loc["aaa", "psnr_mean"] == pytest.approx(31.0)
    assert configs.loc["aaa", "psnr_std"] == pytest.approx(1.0)
    assert configs.loc["aaa", "psnr_ci"] == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3))
    assert math.isnan(configs.loc["ccc", "psnr_ci"])  # one seed: no interval, not zero


def test_confidence_halfwidth_needs_two_values() -> None:
    import pandas as pd

    assert math.isnan(confidence_halfwidth(pd.Series([1.0])))
    assert confidence_halfwidth(pd.Series([1.0, 3.0])) == pytest.approx(stats.t.ppf(0.975, 1))


def test_config_view_sorted_and_exported(board, tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["leaderboard", "--path", str(board), "--format", "json"])
    records = json.loads(result.stdout)
    assert [r["config_hash"] for r in records] == ["aaa", "bbb", "ccc"]  # best PSNR first
    result = runner.invoke(app, ["leaderboard", "--path", str(board), "--format", "md"])
    assert "| **31.00 ± 2.48** |" in result.stdout  # the best mean, in bold
    result = runner.invoke(app, ["leaderboard", "--path", str(board), "--format", "latex"])
    assert result.stdout.startswith("\\begin{tabular}") and "31.00 $\\pm$ 2.48" in result.stdout
    result = runner.invoke(
        app, ["leaderboard", "--path", str(board), "--where", "generator=unet", "-f", "csv"]
    )
    assert result.stdout.count("\n") == 3  # header + the two U-Net configurations


def test_quality_against_cost_plot(board, tmp_path) -> None:
    plot = tmp_path / "plot.png"
    result = CliRunner().invoke(
        app, ["leaderboard", "--path", str(board), "--plot", str(plot), "--cost", "g_params"]
    )
    assert result.exit_code == 0, result.stderr
    with Image.open(plot) as image:
        assert image.size[0] > 400 and image.size[1] > 300
    result = CliRunner().invoke(
        app, ["leaderboard", "--path", str(board), "--plot", str(plot), "--cost", "latency_ms"]
    )
    assert result.exit_code == 2 and "no 'latency_ms' values" in result.stderr


def test_the_weights_a_row_scored_are_never_pooled_with_other_weights(tmp_path) -> None:
    """last, best and ema rows of one configuration are separate entries, not seeds of one
    mixed mean; the same kind of weights pools across seeds whatever the step it was taken at;
    rows written before checkpoints were recorded count as last."""
    path = tmp_path / "board.csv"
    scored = {("", 0): 20.0, ("last@4", 1): 22.0, ("ema@4", 0): 25.0, ("ema@6", 1): 27.0}
    for (checkpoint, seed), psnr in scored.items():
        append_row(path, {
            "run_id": f"a-s{seed}", "config_hash": "aaa", "test_data": "set:test",
            "protocol": "y-matlab", "g_mode": "eval", "psnr": psnr, "seed": seed,
            "checkpoint": checkpoint,
        })  # fmt: skip
    configs = aggregate_seeds(read_leaderboard(path)).set_index("weights")
    assert sorted(configs.index) == ["ema", "last"]
    assert configs.loc["last", "psnr_mean"] == pytest.approx(21.0)
    assert configs.loc["ema", "psnr_mean"] == pytest.approx(26.0)
    assert (configs["n_seeds"] == 2).all()


def _add_rainy_input(path, psnr: float = 29.0, test_data: str = "set:test") -> None:
    append_row(path, {
        "run_id": "rainy-input", "config_hash": "rainy-input", "recipe": "rainy-input",
        "test_data": test_data, "protocol": "y-matlab", "g_mode": "", "n_images": 4,
        "psnr": psnr, "ssim": 0.95, "row_key": f"input-{test_data}",
    })  # fmt: skip


def test_every_view_shows_the_rainy_input_and_the_margin_to_it(board) -> None:
    from derainbench.reporting.views import leaderboard_view

    _add_rainy_input(board)
    _add_rainy_input(board, 40.0, test_data="another:test")  # not among the rows shown
    frame = read_leaderboard(board)
    # Filtering the models (here to one generator) keeps the input of their test set.
    configs = leaderboard_view(frame, "configs", ["generator=unet"], formatted=False)
    assert list(configs["recipe"]) == ["r", "rainy-input", "r"]  # sorted by PSNR
    margins = dict(zip(configs["config_hash"], configs["psnr_vs_input"], strict=True))
    assert margins["aaa"] == pytest.approx(31.0 - 29.0) and margins["ccc"] == -2.0
    assert math.isnan(margins["rainy-input"])
    shown = leaderboard_view(frame, "configs", ["generator=unet"], formatted=True)
    assert list(shown["psnr_vs_input"]) == ["+2.00", "", "-2.00 (below)"]
    runs = leaderboard_view(frame, "runs", ["generator=resnet"])
    assert sorted(runs["run_id"]) == ["bbb-s0", "bbb-s1", "rainy-input"]
    margins = dict(zip(runs["run_id"], runs["psnr_vs_input"], strict=True))
    assert margins["bbb-s0"] == -1.0 and margins["bbb-s1"] == -0.5
    assert math.isnan(margins["rainy-input"])


def test_paper_exports_format_counts_and_bold_the_best_model(board) -> None:
    _add_rainy_input(board, 35.0)  # doing nothing scores best: the best *model* is bold
    result = CliRunner().invoke(app, ["leaderboard", "--path", str(board), "--format", "md"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    row = {line.split(" | ")[0].strip("| "): line for line in lines[2:]}
    assert "**31.0" in lines[3] and "| 35.00 |" in result.output
    assert "3,000" in result.output  # g_params as an integer with separators, not 3000.0
    assert "-4.00 (below)" in result.output and len(row) == 2
    latex = CliRunner().invoke(app, ["leaderboard", "--path", str(board), "--format", "latex"])
    assert r"\textbf{31.0" in latex.output and r"$\pm$" in latex.output


def test_configurations_that_look_alike_get_their_hash_and_steps(tmp_path) -> None:
    from derainbench.reporting.views import leaderboard_view

    path = tmp_path / "board.csv"
    for digest, steps, psnr in (("1111aaaa", 100, 30.0), ("2222bbbb", 200, 31.0)):
        append_row(path, {
            "run_id": digest, "config_hash": digest, "recipe": "r", "generator": "unet",
            "discriminator": "patchgan", "test_data": "set:test", "protocol": "y-matlab",
            "g_mode": "eval", "n_images": 4, "psnr": psnr, "ssim": 0.9, "seed": 0,
            "steps": steps, "row_key": digest,
        })  # fmt: skip
    shown = leaderboard_view(read_leaderboard(path), "configs")
    assert list(shown["config"]) == ["2222bbbb", "1111aaaa"]
    assert list(shown["steps"]) == ["200", "100"]
