"""Evaluation: native sizes, the protocol's numbers, per-image CSV, leaderboard rows."""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest
import torch

from derainbench.evaluation.baselines import InputAsOutput
from derainbench.evaluation.evaluate import evaluate_generator
from derainbench.experiments.runner import evaluate_run
from derainbench.registries import DATASETS, PROTOCOLS
from derainbench.reporting.leaderboard import COLUMNS, append_row, read_leaderboard
from derainbench.training.loop import train
from tests.conftest import model_rows, tiny_config


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs") / "tiny"
    train(tiny_config(steps=2), root)
    return root


def test_scores_are_the_protocols_per_image_values() -> None:
    dataset = DATASETS.create("toyrain-sk", split="test", n=3, size=40)
    result = evaluate_generator(InputAsOutput(), dataset, "y-matlab")
    protocol = PROTOCOLS.create("y-matlab")
    for index, row in result.per_image.iterrows():
        rainy, clean = dataset.load_pair(index)
        expected = protocol.evaluate(rainy[None], clean[None])
        assert row["psnr"] == pytest.approx(float(expected["psnr"][0]), abs=1e-9)
        assert row["ssim"] == pytest.approx(float(expected["ssim"][0]), abs=1e-12)
    assert result.means["psnr"] == pytest.approx(result.per_image["psnr"].mean())


def test_evaluation_runs_at_native_size_and_appends_a_complete_row(trained_run, tmp_path) -> None:
    board = tmp_path / "board.csv"
    record = evaluate_run(trained_run, leaderboard=board, device="cpu")
    evaluation = record.evaluation
    # 40-px test images, a generator that needs multiples of 32: padded, then cropped back.
    per_image = pd.read_csv(record.per_image_csv)
    assert set(per_image["height"]) == {40} and set(per_image["width"]) == {40}
    assert list(per_image.columns) == ["image", "height", "width", "psnr", "ssim"]
    frame = read_leaderboard(board)
    assert list(frame.columns)[: len(COLUMNS)] == COLUMNS  # the documented columns, in order
    saved = frame.iloc[0]
    assert saved["run_id"] == "tiny"
    assert saved["protocol"] == "y-matlab" and saved["g_mode"] == "eval"
    assert saved["n_images"] == 3 and saved["steps"] == 2
    assert saved["g_params"] > 0 and saved["d_params"] > 0
    assert saved["psnr"] == pytest.approx(evaluation.means["psnr"], abs=1e-6)
    assert "torch=" in saved["versions"]
    assert len(saved["config_hash"]) == 64


def test_train_mode_evaluation_is_an_option_and_is_recorded(trained_run, tmp_path) -> None:
    board = tmp_path / "board.csv"
    eval_mode = evaluate_run(trained_run, leaderboard=board, device="cpu")
    train_mode = evaluate_run(trained_run, mode="train", leaderboard=board, device="cpu")
    assert train_mode.row["g_mode"] == "train"
    assert list(model_rows(read_leaderboard(board))["g_mode"]) == ["eval", "train"]
    # Batch statistics instead of running statistics: different numbers, which is the point.
    assert train_mode.means["psnr"] != eval_mode.means["psnr"]


def test_generator_mode_is_restored_after_evaluation(trained_run) -> None:
    from derainbench.training.trained import load_run_generator, read_run

    generator = load_run_generator(read_run(trained_run), "cpu")
    generator.train()
    evaluate_generator(
        generator, DATASETS.create("toyrain-sk", split="test", n=1, size=40), "y-matlab"
    )
    assert generator.training


def _append_many(path, worker: int, count: int) -> None:
    for i in range(count):
        append_row(path, {"run_id": f"w{worker}-{i}", "psnr": 30.0 + i, "notes": "x" * 200})


def test_concurrent_appends_all_land_intact(tmp_path) -> None:
    board = tmp_path / "board.csv"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(board, w, 25)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    frame = pd.read_csv(board)
    assert len(frame) == 75
    assert sorted(frame["run_id"]) == sorted(f"w{w}-{i}" for w in range(3) for i in range(25))
    assert (frame["notes"] == "x" * 200).all()


def test_new_columns_extend_the_file_without_losing_rows(tmp_path) -> None:
    board = tmp_path / "board.csv"
    append_row(board, {"run_id": "a", "psnr": 1.0})
    append_row(board, {"run_id": "b", "psnr": 2.0, "lpips_alex": 0.1})
    frame = pd.read_csv(board)
    assert list(frame["run_id"]) == ["a", "b"]
    assert pd.isna(frame.loc[0, "lpips_alex"]) and frame.loc[1, "lpips_alex"] == 0.1


def test_restore_pads_to_the_multiple_and_crops_back() -> None:
    from derainbench.contracts import Generator, Restoration
    from derainbench.evaluation.restore import restore

    class NeedsMultipleOf16(Generator):
        multiple_of = 16

        def forward(self, rainy):
            assert rainy.shape[-2] % 16 == 0 and rainy.shape[-1] % 16 == 0
            return Restoration(image=rainy * 0.5)

    rainy = torch.rand(1, 3, 37, 53)
    restored = restore(NeedsMultipleOf16(), rainy).image
    assert restored.shape == rainy.shape
    torch.testing.assert_close(restored, rainy * 0.5)


def test_lpips_extras_and_costs_join_the_row(trained_run, tmp_path, monkeypatch) -> None:
    from derainbench.evaluation.evaluate import EvaluationOptions

    board = tmp_path / "board.csv"
    from derainbench.metrics import lpips_metric

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "nothing-here"))
    monkeypatch.setattr(lpips_metric, "_WARNED", set())
    options = EvaluationOptions(extras=("gmsd",), columns={"ablation": "abl-1/full"})
    with pytest.warns(UserWarning, match="LPIPS left empty"):
        record = evaluate_run(trained_run, leaderboard=board, device="cpu", options=options)
    evaluation, row = record.evaluation, record.row
    assert row["lpips_alex"] is None and row["lpips_alex_note"].startswith("no alexnet-owt")
    assert "gmsd" in evaluation.per_image and row["gmsd"] == pytest.approx(evaluation.means["gmsd"])
    assert row["g_macs"] > 0 and row["latency_ms"] > 0 and row["cost_size"] == "40x40"
    saved = read_leaderboard(board).iloc[0]
    from derainbench.training.precision import resolve_precision

    # The precision the run used: "auto" resolved on this CPU (bf16 with AVX512-BF16 or AMX).
    assert saved["ablation"] == "abl-1/full"
    assert saved["precision"] == resolve_precision("auto", torch.device("cpu"))


def test_required_lpips_fails_in_one_line(trained_run, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from derainbench.cli import app

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "nothing-here"))
    result = CliRunner().invoke(
        app, ["eval", str(trained_run), "--require-lpips", "--no-leaderboard", "--no-costs"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: torchvision AlexNet (ImageNet) weights")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_rainy_input_is_recorded_once_per_test_set_and_protocol(trained_run, tmp_path):
    board = tmp_path / "board.csv"
    evaluate_run(trained_run, leaderboard=board, device="cpu")
    evaluate_run(trained_run, checkpoint="last", leaderboard=board, device="cpu")  # again
    evaluate_run(trained_run, protocol="rgb", leaderboard=board, device="cpu")
    frame = read_leaderboard(board)
    inputs = frame[frame["run_id"] == "rainy-input"].set_index("protocol")
    assert sorted(inputs.index) == ["rgb", "y-matlab"]
    test_set = DATASETS.create("toyrain-sk", split="test", n=3, size=40)
    for protocol in ("y-matlab", "rgb"):
        nothing = evaluate_generator(InputAsOutput(), test_set, protocol)
        assert inputs.loc[protocol, "psnr"] == pytest.approx(nothing.means["psnr"], abs=1e-5)
        assert inputs.loc[protocol, "test_set_id"] == nothing.test_set_id
