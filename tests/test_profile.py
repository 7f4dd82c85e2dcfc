"""profile and the GPU check at toy size on the CPU: every record field, the original compared
where there is one, said where there is none."""

from __future__ import annotations

import csv
import json
import math

import pytest
from typer.testing import CliRunner

from derainbench.benchmarks import gpu_check
from derainbench.benchmarks.profile import FIELDS, fit_to_size, profile
from derainbench.cli import app
from derainbench.errors import DerainBenchError
from derainbench.experiments.compose import compose

TINY_PIX2PIX = ["generator.ngf=4", "discriminator.ndf=4"]


def test_profile_times_ours_beside_the_original(tmp_path) -> None:
    csv_path = tmp_path / "profile.csv"
    sets = [a for o in TINY_PIX2PIX for a in ("--set", o)]
    args = ["profile", "--recipe", "pix2pix", "--size", "32", "--device", "cpu", "--repeats",
            "1", "--csv", str(csv_path), "--json", *sets]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["mode"] for r in records] == ["train", "infer"]
    required = {"recipe", "mode", "device", "precision", "images_per_second",
                "original_images_per_second", "speedup", "peak_memory_mb"}  # fmt: skip
    assert required <= set(records[0]) and set(FIELDS) == set(records[0])
    for record in records:
        assert record["images_per_second"] > 0 and record["original_images_per_second"] > 0
        ratio = record["images_per_second"] / record["original_images_per_second"]
        assert record["speedup"] == pytest.approx(ratio, rel=1e-2)
    assert "num_downs=5 (unet_32)" in records[0]["notes"]  # a U-Net as deep as 32 px allows
    with csv_path.open() as stream:
        assert len(list(csv.DictReader(stream))) == 2


def test_a_combination_without_an_original_is_profiled_alone() -> None:
    config = compose(
        "pix2pix", generator="resnet", train_data="toyrain-sk:train", crop=32,
        overrides=["generator.ngf=4", "generator.n_blocks=1", "discriminator.ndf=4"],
    )  # fmt: skip
    (record,) = profile(config, size=32, device="cpu", repeats=1, modes=["infer"], renders=False)
    assert math.isnan(record["original_images_per_second"])
    assert "no original code trains generator 'resnet'" in record["notes"]


def test_a_size_the_network_cannot_take_is_one_line() -> None:
    config = compose("pix2pix", train_data="toyrain-sk:train", crop=32)
    with pytest.raises(DerainBenchError, match="multiples of 32"):
        fit_to_size(config, 48)


def test_the_gpu_check_runs_every_part_at_toy_size(tmp_path) -> None:
    assert gpu_check.main(["--device", "cpu", "--tiny", "--out-dir", str(tmp_path)]) == 0
    for part in ("tests", "profile", "memory", "renders"):
        with (tmp_path / f"gpu_{part}.csv").open() as stream:
            rows = list(csv.DictReader(stream))
        assert rows, part
    with (tmp_path / "gpu_memory.csv").open() as stream:
        memory = list(csv.DictReader(stream))
    assert {(r["batch"], r["activation_checkpointing"]) for r in memory} == {
        ("1", "False"),
        ("1", "True"),
        ("4", "False"),
        ("4", "True"),
    }
    with (tmp_path / "gpu_profile.csv").open() as stream:
        assert {r["recipe"] for r in csv.DictReader(stream)} == set(gpu_check.RECIPES)
