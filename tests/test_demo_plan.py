"""The demo plan: the recipes that declare a demo scale, and honest stand-ins when VGG weights
are absent."""

from __future__ import annotations

import pandas as pd
import pytest

from derainbench.config import load_recipe, resolve
from derainbench.config.recipe import Recipe
from derainbench.errors import ConfigError, DerainBenchError
from derainbench.experiments.demo import (
    DemoData,
    demo_config,
    demo_recipes,
    substitute_missing_weights,
)


def test_the_demo_trains_the_three_paper_recipes() -> None:
    assert [r.name for r in demo_recipes()] == ["attentive-gan", "deblurgan", "pix2pix"]
    assert all(r.demo is not None for r in demo_recipes())
    with pytest.raises(DerainBenchError, match="no demo for recipe.*pix2px.*known"):
        demo_recipes(["pix2px"])


def test_terms_without_weights_are_replaced_or_dropped_and_said(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-weights"))
    for name in ("DERAINBENCH_VGG16_WEIGHTS", "DERAINBENCH_VGG19_WEIGHTS"):
        monkeypatch.delenv(name, raising=False)
    attentive, notes = substitute_missing_weights(load_recipe("attentive-gan"))
    assert "perceptual" not in [t["name"] for t in attentive["terms"]]
    assert (
        len(notes) == 1 and "'perceptual' dropped" in notes[0] and "vgg16-397923af.pth" in notes[0]
    )
    deblur, notes = substitute_missing_weights(load_recipe("deblurgan"))
    assert [t["name"] for t in deblur["terms"]] == ["mse"]
    assert "'content' replaced by mse" in notes[0]
    resolve(deblur)  # still a valid configuration
    untouched, notes = substitute_missing_weights(load_recipe("pix2pix"))
    assert notes == [] and untouched["terms"] == load_recipe("pix2pix").tables["terms"]


def test_the_demo_scale_is_read_from_the_recipe_file(tmp_path) -> None:
    recipe = load_recipe("pix2pix")
    data = DemoData(tmp_path / "train", tmp_path / "val", tmp_path / "test")
    config, _ = demo_config(recipe, 1, data)
    scale = recipe.demo
    assert scale is not None
    assert (config.train.steps, config.train.batch_size, config.train.crop) == (
        scale.steps,
        scale.batch_size,
        scale.crop,
    )
    assert config.generator.options["ngf"] == 32 and config.train.seed == 1
    assert config.terms == resolve(recipe.configuration()).terms  # the losses stay the recipe's
    # The warm-up before the adversarial game is the stated fraction of the steps, scaled
    # steps or not; validation runs ten times a run, on the rendered validation pairs.
    assert config.train.adversarial_start == round(scale.steps * scale.warmup) > 0
    assert config.run.validate_every == scale.steps // 10
    assert config.data.validation is not None
    assert config.data.validation.options["root"] == str(tmp_path / "val")
    half, _ = demo_config(recipe, 1, data, steps_scale=0.5)
    assert half.train.steps == round(scale.steps / 2)
    assert half.train.adversarial_start == round(half.train.steps * scale.warmup)


def test_a_malformed_demo_table_is_one_line() -> None:
    tables = load_recipe("pix2pix").configuration()
    with pytest.raises(ConfigError, match=r"\[demo\] needs 'crop'"):
        Recipe.from_tables({**tables, "demo": {"steps": 1, "batch_size": 1}})
    with pytest.raises(ConfigError, match="demo.without_weights.l1 must be"):
        Recipe.from_tables(
            {**tables, "demo": {"steps": 1, "batch_size": 1, "crop": 8,
                                "without_weights": {"l1": "keep"}}}
        )  # fmt: skip


def test_a_demo_warm_up_must_be_a_fraction_of_the_steps() -> None:
    tables = load_recipe("pix2pix").configuration()
    with pytest.raises(ConfigError, match=r"demo.warmup must be in \[0, 1\) \(got 1.5\)"):
        Recipe.from_tables(
            {**tables, "demo": {"steps": 4, "batch_size": 1, "crop": 8, "warmup": 1.5}}
        )


def test_the_demo_end_to_end_says_how_each_recipe_compares_with_the_rainy_input(tmp_path):
    from derainbench.experiments.demo import run_demo

    result = run_demo(
        tmp_path / "demo", recipes=["deblurgan"], seeds=2, steps_scale=0.01, n_train=4,
        n_test=2, size=96, leaderboard=tmp_path / "lb.csv", device="cpu", processes=1,
    )  # fmt: skip
    [verdict] = result.verdicts
    scores = [run.evaluation.means["psnr"] for run in result.runs]
    assert verdict.seeds == 2 and verdict.psnr_mean == pytest.approx(sum(scores) / 2)
    assert verdict.input_psnr == result.baseline.means["psnr"]
    assert verdict.margin == pytest.approx(verdict.psnr_mean - verdict.input_psnr)
    assert result.curves is not None and result.curves.is_file()
    assert result.figure is not None and result.figure.is_file()
    steps = round(load_recipe("deblurgan").demo.steps * 0.01)
    assert steps < 10  # so that validation runs every step
    for run in result.runs:
        rows = (run.run_dir / "validation.csv").read_text().splitlines()
        assert len(rows) == 1 + steps  # header, then every step
    # The table is this demo's: a row an earlier demo (another plan) left on the same test data
    # stays in the file but is neither shown nor pooled.
    board = pd.read_csv(tmp_path / "lb.csv")
    stale = board.iloc[[0]].assign(run_id="earlier-plan-s0", config_hash="0" * 64, psnr=99.0,
                                   row_key="earlier")  # fmt: skip
    pd.concat([board, stale]).to_csv(tmp_path / "lb.csv", index=False)
    again = run_demo(
        tmp_path / "demo", recipes=["deblurgan"], seeds=2, steps_scale=0.01, n_train=4,
        n_test=2, size=96, leaderboard=tmp_path / "lb.csv", device="cpu", processes=1,
    )  # fmt: skip
    assert sorted(again.table["recipe"]) == ["deblurgan", "rainy-input"]
    model = again.table[again.table["recipe"] == "deblurgan"].iloc[0]
    assert int(model["n_seeds"]) == 2 and "99" not in model["psnr"]
    # Every row says how far it lies from the rainy input, in dB of PSNR.
    expected = verdict.margin
    assert model["psnr_vs_input"].startswith(f"{expected:+.2f}")
