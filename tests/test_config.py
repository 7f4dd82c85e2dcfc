"""Recipes, overrides, resolution into typed records, strict keys, and the configuration hash."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from derainbench.config import (
    ExperimentConfig,
    TrainSettings,
    apply_override,
    config_hash,
    from_stored,
    load_recipe,
    resolve,
    to_toml,
)
from derainbench.errors import ConfigError, DerainBenchError, UnknownNameError
from derainbench.experiments.compose import compose
from tests.conftest import tiny_config


def test_pix2pix_recipe_has_the_paper_settings() -> None:
    config = resolve(load_recipe("pix2pix").configuration())
    assert config.generator.name == "unet"
    assert dict(config.generator.options) == {
        "num_downs": 8, "ngf": 64, "norm": "batch", "dropout": True, "init_gain": 0.02,
        "learn_residual": False,  # pix2pix has no global skip; only a demo plan may add one
    }  # fmt: skip
    assert config.discriminator.name == "patchgan"
    assert config.discriminator.options["conditional"] is True
    assert config.objective.name == "vanilla"
    assert config.objective.discriminator_weight == 0.5
    assert [t.to_dict() for t in config.terms] == [
        {"name": "l1", "signed_range": True, "weight": 100.0}
    ]
    assert config.optimizer.generator_lr == 2e-4
    assert config.optimizer.betas == (0.5, 0.999)
    assert config.optimizer.schedule == "constant-then-linear"
    assert config.eval.generator_mode == "eval"
    assert config.recipe.deviations, "a recipe must write down its deviations"


def test_the_configuration_is_typed_and_keyword_only() -> None:
    config = tiny_config()
    assert isinstance(config, ExperimentConfig) and isinstance(config.train, TrainSettings)
    with pytest.raises(TypeError):
        TrainSettings(10)  # type: ignore[misc]  # keyword-only: no positional settings
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.train.steps = 3  # type: ignore[misc]
    assert config.replaced(train={"seed": 7}).train.seed == 7 and config.train.seed == 0


def test_overrides_parse_toml_values_and_index_lists() -> None:
    config = load_recipe("pix2pix").configuration()
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


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimiser.generator_lr=1e-3", "unknown configuration key 'optimiser'; did you mean "
         "'optimizer'"),
        ("train.stepz=5", "unknown configuration key 'train.stepz'; did you mean 'steps'"),
        ("run.checkpoint_evry=10", "'run.checkpoint_evry'; did you mean 'checkpoint_every'"),
        ("foo.bar=1", "unknown configuration key 'foo'"),
        ("data.valid.n=3", "unknown configuration key 'data.valid'"),
        ("train.steps=true", r"train.steps must be an integer \(got true\)"),
        ("run.log_every=ten", r'run.log_every must be an integer \(got "ten"\)'),
        ("optimizer.betas=[0.5]", r"optimizer.betas must be two numbers in \[0, 1\)"),
        ("run.checkpoint_every=0", r"run.checkpoint_every must be a positive integer \(got 0\)"),
        ("run.precision=fp8", "run.precision must be one of auto, fp32, bf16, fp16"),
        ("optimizer.schedule=cosine", "optimizer.schedule must be one of constant"),
    ],
)  # fmt: skip
def test_misspelt_keys_and_wrong_values_are_refused_in_one_line(override, message) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        tiny_config(override)
    assert "\n" not in str(error.value)


def test_unknown_component_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'patchgan'"):
        tiny_config(discriminator="patchgna")


def test_switching_generator_drops_the_recipe_options_for_the_old_one() -> None:
    config = compose("pix2pix", train_data="toyrain-sk:train", discriminator="none")
    assert config.discriminator.to_dict() == {"name": "none"} and not config.has_discriminator


def test_hash_ignores_seed_and_run_settings_but_not_choices() -> None:
    base = tiny_config()
    assert base.hash == tiny_config(seed=5).hash
    assert base.hash == tiny_config("run.log_every=7").hash
    assert base.hash == tiny_config("data.test.n=2").hash  # test data: eval's
    assert base.hash != tiny_config("terms.0.weight=10").hash
    assert base.hash != tiny_config(steps=5).hash
    assert base.hash != tiny_config("generator.ngf=8").hash
    assert base.hash == config_hash(base.to_dict())


def test_resolved_configuration_round_trips_through_toml() -> None:
    config = tiny_config()
    again = resolve(tomllib.loads(to_toml(config.to_dict())))
    assert again == config and again.hash == config.hash
    assert from_stored(config.to_dict()) == config  # as a checkpoint stores it


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
    config = compose("attentive-gan", train_data="synthdrop-sk:train", drop_terms=["perceptual"])
    assert [t.name for t in config.terms] == ["attention", "multiscale", "attention-map"]
    with pytest.raises(DerainBenchError, match="--drop-term perceptal: the recipe's loss terms"):
        compose("attentive-gan", train_data="synthdrop-sk:train", drop_terms=["perceptal"])


@pytest.mark.parametrize("name", ["pix2pix", "attentive-gan", "deblurgan"])
def test_shipped_recipes_are_named_as_their_files(name: str) -> None:
    recipe = load_recipe(name)
    assert recipe.name == name and recipe.file == f"{name}.toml"
