"""Validation during training, the best and the averaged generator, TensorBoard."""

from __future__ import annotations

import csv

import pytest
import torch

from derainbench.errors import DerainBenchError
from derainbench.experiments.runner import evaluate_run
from derainbench.training.checkpoint import load_checkpoint
from derainbench.training.loop import train
from tests.conftest import tiny_config

VALIDATED = ("run.validate_every=2", "data.validation.n=2", "data.validation.size=40")


@pytest.fixture(scope="module")
def validated_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("validated") / "run"
    config = tiny_config(*VALIDATED, steps=4, validation_data="toyrain-sk:test")
    train(config, root)
    return root


def test_validation_is_scored_and_the_best_generator_kept(validated_run) -> None:
    with (validated_run / "validation.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["step"]) for r in rows] == [2, 4]
    assert {"psnr", "ssim", "ema_psnr", "ema_ssim"} <= set(rows[0])
    best = load_checkpoint(validated_run / "checkpoints" / "best.pt")
    scores = {int(r["step"]): float(r["psnr"]) for r in rows}
    assert best["step"] == max(scores, key=scores.get)
    assert best["best"] == {"criterion": "psnr", "value": pytest.approx(max(scores.values()),
                            abs=1e-5), "step": best["step"]}  # fmt: skip
    assert "discriminator" not in best and "optimizers" not in best  # a generator, not a run
    assert load_checkpoint(validated_run)["best"]["step"] == best["step"]


def test_last_best_and_ema_are_evaluated_and_recorded(validated_run, tmp_path) -> None:
    board = tmp_path / "board.csv"
    rows = {
        which: evaluate_run(validated_run, checkpoint=which, leaderboard=board, device="cpu").row
        for which in ("last", "best", "ema")
    }
    best_step = load_checkpoint(validated_run / "checkpoints" / "best.pt")["step"]
    assert rows["last"]["checkpoint"] == "last@4" and rows["ema"]["checkpoint"] == "ema@4"
    assert rows["best"]["checkpoint"] == f"best@{best_step}"
    assert len({row["row_key"] for row in rows.values()}) == 3  # three measurements
    state = load_checkpoint(validated_run)
    differs = [not torch.equal(state["generator"][k], v) for k, v in state["generator_ema"].items()
               if v.is_floating_point()]  # fmt: skip
    assert any(differs), "the average is not the last weights"


def test_a_run_without_validation_has_no_best_checkpoint(tmp_path) -> None:
    train(tiny_config(steps=2), tmp_path / "run")
    with pytest.raises(DerainBenchError, match="no best checkpoint: it was trained without"):
        evaluate_run(tmp_path / "run", checkpoint="best", record=False, device="cpu")
    with pytest.raises(DerainBenchError, match="unknown checkpoint 'worst'"):
        evaluate_run(tmp_path / "run", checkpoint="worst", record=False, device="cpu")


def test_tensorboard_events_are_written(validated_run) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(validated_run / "tensorboard"))
    events.Reload()
    tags = events.Tags()
    assert {"train/g", "train/lr", "validation/psnr", "validation/ema_psnr"} <= set(tags["scalars"])
    assert "samples" in tags["images"]
    assert [e.step for e in events.Scalars("validation/psnr")] == [2, 4]


def test_validation_resumes_where_the_run_stopped(tmp_path) -> None:
    # A constant rate: extending a run re-spreads a decaying schedule over the new length.
    constant = (*VALIDATED, "optimizer.schedule=constant")
    straight = tmp_path / "straight"
    train(tiny_config(*constant, steps=4, validation_data="toyrain-sk:test"), straight)
    resumed = tmp_path / "resumed"
    train(tiny_config(*constant, steps=2, validation_data="toyrain-sk:test"), resumed)
    import derainbench as db

    db.resume(resumed, steps=4, evaluate=False)
    assert (resumed / "validation.csv").read_text().count(chr(10)) == 3  # header and steps 2, 4
    for key, value in load_checkpoint(straight)["generator_ema"].items():
        assert torch.equal(value, load_checkpoint(resumed)["generator_ema"][key]), key
