"""Every registry record agrees with what its builder makes (parametrised over all registries):
metadata that drifted from the code would mislead `list`, `info` and the combination checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from derainbench.config import resolve
from derainbench.contracts import Discriminator, Generator
from derainbench.datasets.base import PairedDataset
from derainbench.datasets.image_io import save_png
from derainbench.losses.base import LossTerm, Objective, Penalty
from derainbench.metrics.protocols import MetricProtocol
from derainbench.metrics.scores import Score
from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import (
    ALL,
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    OBJECTIVES,
    PENALTIES,
    PROTOCOLS,
    RECIPES,
    SCORES,
    TERMS,
)
from derainbench.registry import builder_defaults, builder_options


def test_every_registry_has_its_own_record_type() -> None:
    types = [registry.info_type for registry in ALL.values()]
    assert len(set(types)) == len(types)


@pytest.mark.parametrize("name", GENERATORS.names())
def test_generator_record_matches_the_paper_configuration(name: str) -> None:
    info = GENERATORS.get(name).info
    generator = GENERATORS.create(name)  # the defaults: the configuration the record describes
    assert isinstance(generator, Generator)
    assert isinstance(info.multiple_of, int)
    assert generator.multiple_of == info.multiple_of
    assert generator.provides == info.provides
    assert info.native_range and info.channel_order and info.paper


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_discriminator_record_matches_the_paper_configuration(name: str) -> None:
    info = DISCRIMINATORS.get(name).info
    discriminator = DISCRIMINATORS.create(name)
    assert isinstance(discriminator, Discriminator)
    assert discriminator.conditional == info.conditional
    assert discriminator.provides == info.provides
    assert discriminator.input_size == info.input_size


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_objective_record_matches(name: str) -> None:
    objective = OBJECTIVES.create(name)
    assert isinstance(objective, Objective)
    assert objective.needs_lipschitz == OBJECTIVES.get(name).info.needs_lipschitz


@pytest.mark.parametrize("name", TERMS.names())
def test_term_record_matches(name: str) -> None:
    info = TERMS.get(name).info
    try:
        term = TERMS.create(name)  # the defaults, which the record describes
    except MissingWeightsError:  # no VGG file here: the stand-in trunk needs the same inputs
        term = TERMS.create(name, **{k: v for k, v in info.test_kwargs.items() if "weights" in k})
    assert isinstance(term, LossTerm)
    assert term.needs == info.needs
    assert term.player == info.player


@pytest.mark.parametrize("name", PENALTIES.names())
def test_penalty_record_matches(name: str) -> None:
    info = PENALTIES.get(name).info
    penalty = PENALTIES.create(name, **info.test_kwargs)
    assert isinstance(penalty, Penalty)
    assert penalty.enforces_lipschitz == info.enforces_lipschitz
    assert penalty.needs_independent_samples == info.needs_independent_samples


@pytest.fixture(scope="module")
def tiny_folders(tmp_path_factory) -> dict[str, Path]:
    """One tiny folder per kind of path a dataset builder may require."""
    root = tmp_path_factory.mktemp("folders")
    generator = torch.Generator().manual_seed(0)
    for index in range(2):
        rainy, clean = torch.rand(2, 3, 16, 16, generator=generator)
        save_png(rainy, root / "pairs" / "rainy" / f"{index}.png")
        save_png(clean, root / "pairs" / "clean" / f"{index}.png")
        save_png(torch.cat([clean, rainy], dim=-1), root / "side" / f"{index}.jpg")
    (root / "pairs" / "list.txt").write_text("rainy/0.png clean/0.png\nrainy/1.png clean/1.png\n")
    return {"root": root / "pairs", "path": root / "pairs" / "list.txt", "side": root / "side"}


@pytest.mark.parametrize("name", DATASETS.names())
def test_dataset_record_matches(name: str, tiny_folders: dict[str, Path]) -> None:
    entry = DATASETS.get(name)
    defaults = builder_defaults(entry.builder)
    required = [o for o in builder_options(entry.builder) if o not in defaults]
    folders = {"root": tiny_folders["side" if name == "rain800" else "root"]}
    folders["path"] = tiny_folders["path"]
    dataset = DATASETS.create(name, **{o: str(folders[o]) for o in required})
    assert isinstance(dataset, PairedDataset)
    assert dataset.provides == entry.info.provides
    assert len(dataset) > 0


@pytest.mark.parametrize("name", PROTOCOLS.names())
def test_protocol_record_names_its_score_columns(name: str) -> None:
    protocol = PROTOCOLS.create(name)
    assert isinstance(protocol, MetricProtocol)
    assert protocol.columns == PROTOCOLS.get(name).info.scores
    assert all(column in SCORES for column in protocol.columns)


@pytest.mark.parametrize("name", SCORES.names())
def test_score_record_matches(name: str) -> None:
    info = SCORES.get(name).info
    score = SCORES.create(name)
    assert isinstance(score, Score) and score.name == name
    assert (score.higher_is_better, score.digits, score.unit, score.source) == (
        info.higher_is_better,
        info.digits,
        info.unit,
        info.source,
    )
    assert (score.compute is not None) == (info.source == "extra")


@pytest.mark.parametrize("name", RECIPES.names())
def test_recipe_record_matches_its_file(name: str) -> None:
    info = RECIPES.get(name).info
    recipe = RECIPES.create(name)
    config = resolve(recipe.configuration())
    assert (config.generator.name, config.discriminator.name, config.objective.name) == (
        info.generator,
        info.discriminator,
        info.objective,
    )
    assert tuple(t.name for t in config.terms) == info.terms
    assert config.recipe.deviations == info.deviations
    assert info.deviations, "a recipe writes down where it deviates from its paper"
    assert tuple(recipe.ablation.design_names()) == info.ablation_designs
    assert (recipe.demo is not None) == info.demo
