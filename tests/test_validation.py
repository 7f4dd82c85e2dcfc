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


def test_validation_rows_carry_the_rainy_inputs_level(validated_run) -> None:
    from derainbench.datasets.build import build_dataset
    from derainbench.evaluation.baselines import InputAsOutput
    from derainbench.evaluation.evaluate import evaluate_generator

    rows = list(csv.DictReader((validated_run / "validation.csv").open()))
    data = build_dataset("toyrain-sk", {"split": "test", "n": 2, "size": 40})
    level = evaluate_generator(InputAsOutput(), data, "y-matlab").means
    for row in rows:
        assert float(row["input_psnr"]) == pytest.approx(level["psnr"], abs=1e-5)
        assert float(row["input_ssim"]) == pytest.approx(level["ssim"], abs=1e-5)
    assert float(rows[0]["input_psnr"]) != float(rows[0]["psnr"])  # not the model's own score


def test_val_fraction_carves_validation_pairs_out_of_a_training_folder(tmp_path) -> None:
    from derainbench.datasets.build import build_dataset
    from derainbench.datasets.synthdrop.writer import write_synthdrop
    from derainbench.experiments.check import check
    from derainbench.experiments.compose import compose

    data = tmp_path / "raindrop"  # (a parent named like a test set would be refused)
    write_synthdrop(data / "train", 12, 64, "medium", 0, "train")
    folder = {"name": "paired-folder", "root": str(data / "train")}
    config = compose("pix2pix", train_data=folder, val_fraction=0.25, crop=32,
                     overrides=["generator.num_downs=5", "generator.ngf=4",
                                "discriminator.ndf=4"])  # fmt: skip
    train_set = build_dataset(config.data.train.name, config.data.train.options)
    validation = build_dataset(config.data.validation.name, config.data.validation.options)
    names = {r.name for r, _ in train_set.pairs}, {r.name for r, _ in validation.pairs}
    assert not names[0] & names[1] and len(names[0] | names[1]) == 12  # a partition
    assert 0 < len(names[1]) < 12
    report = check(config, dry_step=False)
    assert (report.train_pairs, report.validation_pairs) == (len(names[0]), len(names[1]))
    with pytest.raises(DerainBenchError, match="has its own splits"):
        compose("pix2pix", val_fraction=0.25)  # SynthDrop: use its val split instead
