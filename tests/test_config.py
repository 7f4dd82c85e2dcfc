"""Recipes, overrides, resolution and the configuration hash."""

from __future__ import annotations

import tomllib

import pytest

from derainbench.config import apply_override, config_hash, load_recipe, resolve, to_toml
from derainbench.errors import DerainBenchError, UnknownNameError
from tests.conftest import tiny_config


def test_pix2pix_recipe_has_the_paper_settings() -> None:
    config = resolve(load_recipe("pix2pix"))
    assert config["generator"] == {
        "name": "unet", "num_downs": 8, "ngf": 64, "norm": "batch", "dropout": True,
        "init_gain": 0.02,
    }  # fmt: skip
    assert config["discriminator"]["name"] == "patchgan"
    assert config["discriminator"]["conditional"] is True
    assert config["objective"]["name"] == "vanilla"
    assert config["objective"]["discriminator_weight"] == 0.5
    assert config["terms"] == [{"name": "l1", "signed_range": True, "weight": 100.0}]
    assert config["optimizer"]["generator_lr"] == 2e-4
    assert config["optimizer"]["betas"] == [0.5, 0.999]
    assert config["optimizer"]["schedule"] == "constant-then-linear"
    assert config["eval"]["generator_mode"] == "eval"
    assert config["recipe"]["deviations"], "a recipe must write down its deviations"


def test_overrides_parse_toml_values_and_index_lists() -> None:
    config = load_recipe("pix2pix")
    apply_override(config, "generator.ngf=32")
    apply_override(config, "terms.0.weight=10")
    apply_override(config, "optimizer.betas=[0.9, 0.99]")
    apply_override(config, "generator.norm=instance")
    assert config["generator"]["ngf"] == 32
    assert config["terms"][0]["weight"] == 10
    assert config["optimizer"]["betas"] == [0.9, 0.99]
    assert config["generator"]["norm"] == "instance"
    with pytest.raises(DerainBenchError, match="not an index"):
        apply_override(config, "terms.3.weight=1")
    with pytest.raises(DerainBenchError, match="section.key=value"):
        apply_override(config, "generator.ngf")


def test_unknown_component_option_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(DerainBenchError, match="unet' has no option 'ngff'.*options: num_downs"):
        tiny_config("generator.ngff=3")


def test_unknown_component_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'patchgan'"):
        tiny_config(discriminator="patchgna")


def test_switching_generator_drops_the_recipe_options_for_the_old_one() -> None:
    from derainbench.cli.train_command import build_config

    config = build_config("pix2pix", train_data="toyrain-sk:train", discriminator="none")
    assert config["discriminator"] == {"name": "none"}


def test_hash_ignores_seed_and_run_settings_but_not_choices() -> None:
    base = tiny_config()
    assert config_hash(base) == config_hash(tiny_config(seed=5))
    assert config_hash(base) == config_hash(tiny_config("run.log_every=7"))
    assert config_hash(base) == config_hash(tiny_config("data.test.n=2"))  # test data: eval's
    assert config_hash(base) != config_hash(tiny_config("terms.0.weight=10"))
    assert config_hash(base) != config_hash(tiny_config(steps=5))
    assert config_hash(base) != config_hash(tiny_config("generator.ngf=8"))


def test_resolved_configuration_round_trips_through_toml() -> None:
    config = tiny_config()
    again = resolve(tomllib.loads(to_toml(config)))
    assert config_hash(again) == config_hash(config)


def test_recipe_file_errors_are_one_line(tmp_path) -> None:
    with pytest.raises(DerainBenchError, match="recipe file not found"):
        load_recipe(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[generator\nname=1")
    with pytest.raises(DerainBenchError, match="not valid TOML"):
        load_recipe(str(bad))
    with pytest.raises(UnknownNameError, match="unknown recipe 'pix2px'.*'pix2pix'"):
        load_recipe("pix2px")


def test_non_positive_steps_are_refused() -> None:
    with pytest.raises(DerainBenchError, match="train.steps must be a positive integer"):
        tiny_config(steps=0)


def test_drop_term_removes_a_recipe_term_and_names_the_terms_on_a_typo() -> None:
    from derainbench.cli.train_command import build_config

    config = build_config(
        "attentive-gan", train_data="synthdrop-sk:train", drop_terms=["perceptual"]
    )
    assert [t["name"] for t in config["terms"]] == ["attention", "multiscale", "attention-map"]
    with pytest.raises(DerainBenchError, match="--drop-term perceptal: the recipe's loss terms"):
        build_config("attentive-gan", train_data="synthdrop-sk:train", drop_terms=["perceptal"])
