"""`derain-bench ablate`: the design, needs-driven pruning, training every variant, the table."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from derainbench.cli import app
from derainbench.config import load_recipe, split_values
from derainbench.errors import DerainBenchError
from derainbench.experiments.ablation import design_variants, factor_variants, plan
from derainbench.experiments.ablation_study import summarise
from derainbench.reporting.statistics import mean_interval, paired_differences
from tests.conftest import model_rows, tiny_config
from tests.test_attentive_losses import TINY_ATTENTIVE, tiny_attentive

DEFAULT_VARIANTS = [
    "full",
    "no-arn",
    "no-attention-loss",
    "plain-discriminator",
    "no-multiscale",
    "no-perceptual",
    "steps-1",
    "steps-2",
    "steps-3",
    "steps-4",
]


DESIGN = load_recipe("attentive-gan").ablation


def default_variants(config):
    return design_variants(DESIGN, "default", [], config)


def test_the_default_design_names_the_papers_ablations() -> None:
    config = tiny_attentive()
    assert [v.name for v in design_variants(DESIGN, None, [], config)] == DEFAULT_VARIANTS
    names = [v.name for v in design_variants(DESIGN, None, ["recurrent_steps=1,2"], config)]
    assert names == ["full", "recurrent_steps=1", "recurrent_steps=2"]  # factors: design 'none'
    names = [v.name for v in design_variants(DESIGN, "steps", [], config)]
    assert names == ["full", "steps-1", "steps-2", "steps-3", "steps-4"]
    with pytest.raises(DerainBenchError, match="unknown design 'stepz'.*default, components"):
        design_variants(DESIGN, "stepz", [], config)


def test_factors_from_the_command_line() -> None:
    config = tiny_attentive()
    (variant,) = factor_variants("attention_map=false", config)
    assert variant.set == ("discriminator.attention_map=false",)
    variants = factor_variants("terms.1.weights=[1.0, 1.0, 1.0],[0, 0, 1]", config)
    assert [v.set[0] for v in variants] == [
        "terms.1.weights=[1.0, 1.0, 1.0]",
        "terms.1.weights=[0, 0, 1]",
    ]
    assert split_values("1, 'a,b', [2, 3]") == ["1", "'a,b'", "[2, 3]"]
    with pytest.raises(DerainBenchError, match="option of generator and discriminator"):
        factor_variants("width=0.5", config)
    with pytest.raises(DerainBenchError, match="'depth' is not an option"):
        factor_variants("depth=3", config)
    with pytest.raises(DerainBenchError, match="variant names repeat: recurrent_steps=1"):
        design_variants(DESIGN, None, ["recurrent_steps=1,1"], config)


def test_planning_drops_terms_whose_needs_disappear_and_says_so() -> None:
    config = tiny_attentive()
    planned = {p.name: p for p in plan(config, default_variants(config), frozenset({"mask"}))}
    terms = {name: [t.name for t in p.config.terms] for name, p in planned.items()}
    assert terms["full"] == ["attention", "multiscale", "perceptual", "attention-map"]
    assert terms["no-arn"] == ["multiscale", "perceptual"]
    assert planned["no-arn"].config.generator.options["recurrent_steps"] == 0
    assert planned["no-arn"].notes == [
        "dropped loss term 'attention': it needs attention maps, which the generator no longer "
        "produces",
        "dropped loss term 'attention-map': it needs attention maps, which the generator no "
        "longer produces",
    ]
    assert terms["plain-discriminator"] == ["attention", "multiscale", "perceptual"]
    assert "'attention-map'" in planned["plain-discriminator"].notes[0]
    assert terms["no-attention-loss"] == ["multiscale", "perceptual", "attention-map"]
    assert planned["steps-4"].same_as == "full" and not planned["steps-4"].trains
    assert all(p.error is None for p in planned.values())


def test_impossible_variants_are_reported_not_raised() -> None:
    config = tiny_config()  # pix2pix: no recurrent network, no attention loss
    planned = {p.name: p for p in plan(config, default_variants(config), frozenset())}
    assert planned["full"].trains
    assert "generator 'unet' has no option 'recurrent_steps'" in planned["no-arn"].error
    assert planned["no-attention-loss"].error == "the recipe has no loss term 'attention' to remove"
    bad = factor_variants("generator.recurrence=gru", tiny_attentive())
    (item,) = plan(tiny_attentive(), bad, frozenset({"mask"}))
    assert "unknown recurrence 'gru'" in item.error


def test_statistics_mean_and_t_interval() -> None:
    interval = mean_interval([1.0, 2.0, 3.0])
    assert interval.mean == 2.0 and interval.n == 3
    assert interval.half_width == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert math.isnan(mean_interval([5.0]).half_width)
    assert paired_differences({0: 3.0, 1: 5.0, 2: 1.0}, {0: 1.0, 1: 1.0}) == {0: 2.0, 1: 4.0}


def test_differences_are_paired_by_seed() -> None:
    variants = default_variants(tiny_attentive())
    planned = plan(tiny_attentive(), [variants[0], variants[5]], frozenset({"mask"}))
    runs = pd.DataFrame(
        [
            {"variant": "full", "seed": 0, "psnr": 20.0, "ssim": 0.5, "error": ""},
            {"variant": "full", "seed": 1, "psnr": 30.0, "ssim": 0.7, "error": ""},
            {"variant": "no-perceptual", "seed": 0, "psnr": 19.0, "ssim": 0.5, "error": ""},
            {"variant": "no-perceptual", "seed": 1, "psnr": 29.0, "ssim": 0.6, "error": ""},
        ]
    )
    summary = summarise(planned, runs).set_index("variant")
    # Seed effects (20 vs 30 dB) cancel: both seeds lose exactly 1 dB.
    assert summary.loc["no-perceptual", "delta_psnr_mean"] == pytest.approx(-1.0)
    assert summary.loc["no-perceptual", "delta_psnr_ci95"] == pytest.approx(0.0)
    assert summary.loc["no-perceptual", "psnr_ci95"] > 50  # unpaired, the spread is huge
    assert math.isnan(summary.loc["full", "delta_psnr_mean"])


def test_ablate_trains_every_variant_and_prints_the_table(tmp_path) -> None:
    board = tmp_path / "leaderboard.csv"
    args = ["ablate", "--steps", "1", "--batch-size", "2", "--crop", "32", "--device", "cpu"]
    args += ["--out", str(tmp_path / "ablations"), "--leaderboard", str(board)]
    for override in TINY_ATTENTIVE:
        args += ["--set", override]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    for name in DEFAULT_VARIANTS:
        assert name in result.stdout
    assert "Δ PSNR vs full" in result.stdout and "= full" in result.stdout
    (folder,) = (tmp_path / "ablations").iterdir()
    table = pd.read_csv(folder / "ablation.csv").set_index("variant")
    assert list(table.index) == DEFAULT_VARIANTS
    assert (table["status"].drop("steps-4") == "ok").all()
    assert table.loc["steps-4", "status"] == "= full"
    assert table["psnr_mean"].notna().all()
    assert "dropped loss term 'attention'" in table.loc["no-arn", "notes"]
    rows = model_rows(pd.read_csv(board))
    trained = [name for name in DEFAULT_VARIANTS if name != "steps-4"]
    assert sorted(rows["ablation"]) == sorted(f"{folder.name}/{name}" for name in trained)
    assert rows.loc[rows["ablation"].str.endswith("/no-arn"), "g_params"].item() < (
        rows.loc[rows["ablation"].str.endswith("/full"), "g_params"].item()
    )


USER_RECIPE = """
[recipe]
name = "tiny-lsgan"
deviations = ["a recipe of the test's own"]

[generator]
name = "unet"
ngf = 4
num_downs = 5

[discriminator]
name = "patchgan"
ndf = 4
n_layers = 2

[objective]
name = "lsgan"

[[terms]]
name = "l1"
weight = 10.0

[train]
steps = 1
batch_size = 2
crop = 32

[data]
train = { name = "toyrain-sk", split = "train", n = 4, size = 40 }
test = { name = "toyrain-sk", split = "test", n = 2, size = 40 }

[run]
sample_every = 1000

[ablation]
[[ablation.variants]]
name = "no-gan"
description = "L1 alone"
discriminator = "none"

[[ablation.variants]]
name = "hinge"
objective = "hinge"

[[ablation.variants]]
name = "no-l1"
drop_terms = ["l1"]

[ablation.designs]
default = ["no-gan", "hinge", "no-l1"]
gan = ["hinge"]
"""


def test_a_new_recipe_is_one_toml_file_and_ablates_by_its_own_design(tmp_path) -> None:
    recipe = tmp_path / "tiny-lsgan.toml"
    recipe.write_text(USER_RECIPE)
    board = tmp_path / "board.csv"
    args = ["ablate", "--recipe", str(recipe), "--seeds", "0,1", "--device", "cpu"]
    args += ["--out", str(tmp_path / "ablations"), "--leaderboard", str(board), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    summary = {row["variant"]: row for row in json.loads(result.stdout)}
    assert list(summary) == ["full", "no-gan", "hinge", "no-l1"]
    assert all(row["status"] == "ok" and row["n_seeds"] == 2 for row in summary.values())
    rows = model_rows(pd.read_csv(board))
    assert set(rows["recipe"]) == {"tiny-lsgan"} and len(rows) == 8
    assert set(rows.loc[rows["ablation"].str.endswith("/no-gan"), "discriminator"]) == {"none"}
    assert set(rows.loc[rows["ablation"].str.endswith("/hinge"), "objective"]) == {"hinge"}
    assert set(rows.loc[rows["ablation"].str.endswith("/no-l1"), "terms"].fillna("")) == {""}
    # The same ablation again is the same sweep: nothing retrained, no row added, one folder.
    (folder,) = (tmp_path / "ablations").iterdir()
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("last.pt")}
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(result.stdout)
    assert len(model_rows(pd.read_csv(board))) == 8
    assert len(list((tmp_path / "ablations").iterdir())) == 1
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("last.pt")} == stamps
    dry = CliRunner().invoke(app, [*args[:3], "--design", "gan", "--dry-run", "--json"])
    assert [r["variant"] for r in json.loads(dry.stdout)] == ["full", "hinge"]
    wrong = CliRunner().invoke(app, [*args[:3], "--design", "steps"])
    assert wrong.exit_code == 2
    assert (
        wrong.stderr.strip() == "error: unknown design 'steps'; this recipe has: default, gan, none"
    )


def test_a_recipe_without_a_design_ablates_factors(tmp_path) -> None:
    recipe = tmp_path / "plain.toml"
    recipe.write_text(USER_RECIPE.split("[ablation]")[0])
    args = ["ablate", "--recipe", str(recipe), "--dry-run", "--json"]
    result = CliRunner().invoke(app, [*args, "--factor", "generator.ngf=4,8"])
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["variant"] for r in records] == ["full", "ngf=4", "ngf=8"]
    assert records[1]["status"] == "= full"  # ngf=4 is the recipe as written
    only_full = CliRunner().invoke(app, args)
    assert [r["variant"] for r in json.loads(only_full.stdout)] == ["full"]
