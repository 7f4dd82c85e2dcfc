"""Build the generator, discriminator, objective, loss terms and penalties of a configuration,
and refuse, before training, a combination that cannot train."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from derainbench.config import ComponentSpec, ExperimentConfig
from derainbench.contracts import Discriminator, Generator
from derainbench.datasets.base import PairedDataset
from derainbench.datasets.build import build_dataset
from derainbench.errors import DerainBenchError, IncompatibleComponentsError
from derainbench.losses.base import DISCRIMINATOR, LossTerm, Objective, Penalty
from derainbench.losses.compat import Component, check_term_needs
from derainbench.models.pretrained import MissingWeightsError
from derainbench.registries import (
    DISCRIMINATORS,
    GENERATORS,
    OBJECTIVES,
    PENALTIES,
    TERMS,
)
from derainbench.registry import Registry


@dataclass
class WeightedTerm:
    """A loss term with its registry name and its weight in its player's loss."""

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
    #: What an update's forward pass goes through: the networks themselves, or their
    #: DistributedDataParallel wrappers under torchrun (see training.distributed).
    generator_update: nn.Module | None = None
    discriminator_update: nn.Module | None = None

    @property
    def updating_generator(self) -> nn.Module:
        """The generator as its own update calls it (its DDP wrapper under torchrun)."""
        return self.generator_update or self.generator

    @property
    def updating_discriminator(self) -> nn.Module | None:
        """The discriminator as its own update calls it (its DDP wrapper under torchrun)."""
        return self.discriminator_update or self.discriminator

    @property
    def judges_pairs_together(self) -> bool:
        """Whether the discriminator may see the real and the fake batch in one call: only when
        no layer mixes samples (BatchNorm would see both halves' statistics), so that one call
        computes exactly what two would, faster."""
        return self.discriminator is not None and not mixes_samples(self.discriminator)


def mixes_samples(module: nn.Module) -> bool:
    """Whether a layer of ``module`` computes across the samples of a batch (BatchNorm)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def _build_checked(registry: Registry, spec: ComponentSpec, contract: type) -> Any:
    model = registry.create(spec.name, **spec.options)
    if not isinstance(model, contract):
        raise DerainBenchError(
            f"{registry.kind} '{spec.name}' built a {type(model).__name__}, "
            f"not a derainbench.contracts.{contract.__name__}"
        )
    return model


def build_generator(spec: ComponentSpec) -> Generator:
    """The generator a configuration names, checked against the contract."""
    return _build_checked(GENERATORS, spec, Generator)


def build_discriminator(config: ExperimentConfig) -> Discriminator | None:
    """The discriminator a configuration names, or None for ``none``."""
    if not config.has_discriminator:
        return None
    return _build_checked(DISCRIMINATORS, config.discriminator, Discriminator)


def build_training_set(config: ExperimentConfig) -> PairedDataset:
    """The training data, with the configuration's crops and flips."""
    if config.data.train is None:
        raise DerainBenchError("no training data: pass --train-data (the recipe names none)")
    spec = config.data.train
    return build_dataset(spec.name, spec.options, config.train.crop, config.train.flip)


def build_validation_set(config: ExperimentConfig) -> PairedDataset | None:
    """The validation data (full-size pairs), or None when the configuration has none."""
    spec = config.data.validation
    return None if spec is None else build_dataset(spec.name, spec.options)


def build_test_set(config: ExperimentConfig, spec: ComponentSpec | None = None) -> PairedDataset:
    """Full-size test pairs: ``spec``, or the configuration's test data."""
    spec = spec or config.data.test
    if spec is None:
        raise DerainBenchError("no test data: pass --test-data (the run's recipe names none)")
    return build_dataset(spec.name, spec.options)


def build_components(config: ExperimentConfig, dataset_provides: frozenset[str]) -> Components:
    """Build and cross-check the components: an impossible combination fails before training."""
    generator = build_generator(config.generator)
    discriminator = build_discriminator(config)
    objective = OBJECTIVES.create(config.objective.name, **config.objective.options)
    # A term whose pretrained weights are missing is reported only after the combination
    # itself has been checked: "this cannot train at all" is the more useful first answer.
    terms, missing_weights = [], None
    for spec in config.terms:
        try:
            module = TERMS.create(spec.name, **spec.options)
        except MissingWeightsError as error:
            hint = f"; or train without this term: --drop-term {spec.name}"
            missing_weights = missing_weights or MissingWeightsError(f"{error}{hint}")
            continue
        terms.append(WeightedTerm(spec.name, spec.weight, module))
    penalties = [
        WeightedPenalty(p.name, p.weight, PENALTIES.create(p.name, **p.options))
        for p in config.penalties
    ]
    if discriminator is None and not config.terms:
        raise IncompatibleComponentsError(
            "the recipe has neither a discriminator nor loss terms, so the generator would "
            "receive no gradient"
        )
    if discriminator is None and penalties:
        raise IncompatibleComponentsError(
            f"penalty '{penalties[0].name}' regularises a discriminator, but the recipe has none"
        )
    train_data = config.data.train.name if config.data.train is not None else "none"
    components = [
        Component("generator", config.generator.name, frozenset(generator.provides)),
        Component("dataset", train_data, frozenset(dataset_provides)),
    ]
    if discriminator is not None:
        components.append(
            Component("discriminator", config.discriminator.name, discriminator.provides)
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
    check_crop(config, generator)
    if missing_weights is not None:
        raise missing_weights
    return Components(generator, discriminator, objective, terms, penalties)


def check_adversarial_setup(
    config: ExperimentConfig,
    objective: Objective,
    discriminator: Discriminator,
    penalties: list[WeightedPenalty],
) -> None:
    """Refuse, in one sentence, an objective, penalty and discriminator that cannot train."""
    name = config.discriminator.name
    if objective.needs_lipschitz and not any(p.module.enforces_lipschitz for p in penalties):
        raise IncompatibleComponentsError(
            f"objective '{config.objective.name}' needs a Lipschitz constraint: "
            f"add penalty 'gradient-penalty'"
        )
    for penalty in penalties:
        if penalty.module.needs_independent_samples and mixes_samples(discriminator):
            raise IncompatibleComponentsError(
                f"penalty '{penalty.name}' needs per-sample gradient norms, which discriminator "
                f"'{name}' mixes across the batch with BatchNorm; choose a discriminator without "
                f"BatchNorm, such as patchgan with norm 'instance'"
            )
    # A discriminator with a fixed-size layer (a flattening FC) declares its input side.
    size = discriminator.input_size
    crop = config.train.crop
    if size is not None and crop != size:
        raise IncompatibleComponentsError(
            f"discriminator '{name}' takes only {size}×{size} inputs, but the training crop is "
            f"{crop} pixels; set --crop {size} or choose an any-size discriminator"
        )


def check_crop(config: ExperimentConfig, generator: Generator) -> None:
    """Training crops are fed as they are: their side must be a multiple of what the generator
    needs (a U-Net's 2^num_downs), or step 1 would fail deep inside the network."""
    multiple, crop = generator.multiple_of, config.train.crop
    if crop % multiple:
        fits = max(multiple, crop // multiple * multiple)
        raise IncompatibleComponentsError(
            f"generator '{config.generator.name}' needs sides that are multiples of {multiple}, "
            f"but the training crop is {crop} pixels; set --crop {fits} (or a smaller network)"
        )
