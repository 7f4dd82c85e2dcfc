"""Build the generator, discriminator, objective, loss terms and data of a configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn
from torch.utils.data import Dataset

from derainbench.config import NO_DISCRIMINATOR
from derainbench.contracts import Discriminator, Generator
from derainbench.errors import DerainBenchError, IncompatibleComponentsError
from derainbench.losses.base import DISCRIMINATOR, LossTerm, Objective, Penalty
from derainbench.losses.compat import Component, check_term_needs
from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import (
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    OBJECTIVES,
    PENALTIES,
    TERMS,
)
from derainbench.registry import Registry


@dataclass
class WeightedTerm:
    """A loss term with its registry name and its weight in the generator loss."""

    name: str
    weight: float
    module: LossTerm


@dataclass
class WeightedPenalty:
    """A discriminator penalty with its registry name and weight."""

    name: str
    weight: float
    module: Penalty


@dataclass
class Components:
    """Everything one training step needs, built from a configuration."""

    generator: Generator
    discriminator: Discriminator | None
    objective: Objective
    terms: list[WeightedTerm]
    penalties: list[WeightedPenalty] = field(default_factory=list)


def _options(section: dict[str, Any], *drop: str) -> dict[str, Any]:
    return {k: v for k, v in section.items() if k not in ("name", *drop)}


def _build_checked(registry: Registry, section: dict[str, Any], contract: type) -> Any:
    model = registry.create(section["name"], **_options(section))
    if not isinstance(model, contract):
        raise DerainBenchError(
            f"{registry.kind} '{section['name']}' built a {type(model).__name__}, "
            f"not a derainbench.contracts.{contract.__name__}"
        )
    return model


def build_generator(section: dict[str, Any]) -> Generator:
    """The generator a configuration section names, checked against the contract."""
    return _build_checked(GENERATORS, section, Generator)


def build_discriminator(section: dict[str, Any]) -> Discriminator | None:
    """The discriminator a configuration section names, or None for ``none``."""
    if section["name"] == NO_DISCRIMINATOR:
        return None
    return _build_checked(DISCRIMINATORS, section, Discriminator)


def build_dataset(spec: dict[str, Any], crop: int | None = None, flip: bool = False) -> Dataset:
    """A registered dataset; ``crop`` and ``flip`` apply to training only."""
    return DATASETS.create(spec["name"], **_options(spec), crop=crop, flip=flip)


def build_components(config: dict[str, Any], dataset_provides: frozenset[str]) -> Components:
    """Build and cross-check the components: an impossible combination fails before training."""
    generator = build_generator(config["generator"])
    discriminator = build_discriminator(config["discriminator"])
    objective_section = _options(config["objective"], "generator_weight", "discriminator_weight")
    objective = OBJECTIVES.create(config["objective"]["name"], **objective_section)
    # A term whose pretrained weights are missing is reported only after the combination
    # itself has been checked: "this cannot train at all" is the more useful first answer.
    terms, missing_weights = [], None
    for t in config["terms"]:
        try:
            module = TERMS.create(t["name"], **_options(t, "weight"))
        except MissingWeightsError as error:
            hint = f"; or train without this term: --drop-term {t['name']}"
            missing_weights = missing_weights or MissingWeightsError(f"{error}{hint}")
            continue
        terms.append(WeightedTerm(t["name"], float(t["weight"]), module))
    penalties = [
        WeightedPenalty(
            p["name"], float(p["weight"]), PENALTIES.create(p["name"], **_options(p, "weight"))
        )
        for p in config.get("penalties", [])
    ]
    if discriminator is None and not config["terms"]:
        raise IncompatibleComponentsError(
            "the recipe has neither a discriminator nor loss terms, so the generator would "
            "receive no gradient"
        )
    if discriminator is None and penalties:
        raise IncompatibleComponentsError(
            f"penalty '{penalties[0].name}' regularises a discriminator, but the recipe has none"
        )
    components = [
        Component("generator", config["generator"]["name"], frozenset(generator.provides)),
        Component("dataset", config["data"]["train"]["name"], frozenset(dataset_provides)),
    ]
    if discriminator is not None:
        components.append(
            Component(
                "discriminator", config["discriminator"]["name"], frozenset(discriminator.provides)
            )
        )
    for term in terms:
        if term.module.player == DISCRIMINATOR and discriminator is None:
            raise IncompatibleComponentsError(
                f"loss term '{term.name}' is a discriminator loss, but the recipe has no "
                f"discriminator"
            )
        check_term_needs(term.name, term.module.needs, components)
    if discriminator is not None:
        check_adversarial_setup(config, objective, discriminator, penalties)
    if missing_weights is not None:
        raise missing_weights
    return Components(generator, discriminator, objective, terms, penalties)


def check_adversarial_setup(
    config: dict[str, Any],
    objective: Objective,
    discriminator: Discriminator,
    penalties: list[WeightedPenalty],
) -> None:
    """Refuse, in one sentence, an objective, penalty and discriminator that cannot train."""
    name = config["discriminator"]["name"]
    if objective.needs_lipschitz and not any(p.module.enforces_lipschitz for p in penalties):
        raise IncompatibleComponentsError(
            f"objective '{config['objective']['name']}' needs a Lipschitz constraint: "
            f"add penalty 'gradient-penalty'"
        )
    mixes_samples = any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules()
    )
    for penalty in penalties:
        if penalty.module.needs_independent_samples and mixes_samples:
            raise IncompatibleComponentsError(
                f"penalty '{penalty.name}' needs per-sample gradient norms, which discriminator "
                f"'{name}' mixes across the batch with BatchNorm; choose a discriminator without "
                f"BatchNorm, such as patchgan with norm 'instance'"
            )
    # A discriminator with a fixed-size layer (a flattening FC) declares its input side.
    size = discriminator.input_size
    crop = config["train"].get("crop")
    if size is not None and crop is not None and crop != size:
        raise IncompatibleComponentsError(
            f"discriminator '{name}' takes only {size}×{size} inputs, but the training crop is "
            f"{crop} pixels; set --crop {size} or choose an any-size discriminator"
        )
