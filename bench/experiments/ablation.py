"""One-factor-at-a-time ablation designs: named variants of a recipe, as configuration changes.

A recipe declares its variants and designs in its TOML file (``[ablation]``, see
:mod:`derainbench.config.recipe`); ``--factor KEY=V1,V2`` adds one variant per value. A variant
changes the full model's configuration by a replacement component, ``--set``-style overrides and
removed loss terms. Planning applies it, then drops every loss term whose needs the variant took
away (no attention maps without the recurrent network, no map loss without the discriminator's
map) and says so in a note; a variant that cannot be built is reported with its reason, and one
whose configuration equals an earlier variant's (``steps-4`` is the full model) is not trained
twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from derainbench.config import (
    AblationDesign,
    AblationVariant,
    ExperimentConfig,
    WeightedSpec,
    apply_override,
    parse_value,
    resolve,
    split_values,
)
from derainbench.config.recipe import FULL, NO_VARIANTS
from derainbench.errors import DerainBenchError
from derainbench.experiments.compose import drop_loss_terms, set_component
from derainbench.losses.compat import PROVIDERS, Component, check_term_needs
from derainbench.registries import TERMS
from derainbench.training.components import build_discriminator, build_generator

FULL_MODEL = AblationVariant(name=FULL, description="the recipe as written")

# Where a bare factor key (``recurrent_steps``) is looked for, in order.
_FACTOR_SECTIONS = ("generator", "discriminator", "objective", "train", "optimizer")


def _section_keys(config: ExperimentConfig, section: str) -> set[str]:
    value = getattr(config, section)
    if hasattr(value, "options"):
        return set(value.options)
    return {f.name for f in dataclasses.fields(value)}


def factor_variants(factor: str, config: ExperimentConfig) -> list[AblationVariant]:
    """Variants from ``KEY=V1,V2,...``; a bare KEY is found among the component options."""
    if "=" not in factor:
        raise DerainBenchError(f"factor '{factor}' is not of the form KEY=V1,V2 (e.g. steps=1,2)")
    key, _, raw = factor.partition("=")
    key = key.strip()
    if "." not in key:
        sections = [s for s in _FACTOR_SECTIONS if key in _section_keys(config, s)]
        if not sections:
            raise DerainBenchError(
                f"factor '{key}' is not an option of the {', '.join(_FACTOR_SECTIONS)} sections; "
                f"give its full path, e.g. generator.{key}"
            )
        if len(sections) > 1:
            raise DerainBenchError(
                f"factor '{key}' is an option of {' and '.join(sections)}; give its full path, "
                f"e.g. {sections[0]}.{key}"
            )
        key = f"{sections[0]}.{key}"
    values = split_values(raw)
    if not values:
        raise DerainBenchError(f"factor '{factor}' names no values")
    short = key.rsplit(".", 1)[-1]
    return [
        AblationVariant(
            name=f"{short}={value}",
            description=f"{key} = {parse_value(value)!r}",
            set=(f"{key}={value}",),
        )
        for value in values
    ]


def design_variants(
    design: AblationDesign, name: str | None, factors: Sequence[str], config: ExperimentConfig
) -> list[AblationVariant]:
    """The full model, the named design's variants (default: the recipe's default design, or
    'none' when factors are given), then one variant per factor value; names must be unique."""
    name = name or (NO_VARIANTS if factors else design.default_design)
    variants = [FULL_MODEL, *design.variants_of(name)]
    for factor in factors:
        variants += factor_variants(factor, config)
    names = [v.name for v in variants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DerainBenchError(f"variant names repeat: {', '.join(duplicates)}")
    return variants


@dataclass
class PlannedVariant:
    """A variant's resolved configuration, or why it cannot run."""

    variant: AblationVariant
    config: ExperimentConfig | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    #: An earlier variant with exactly this configuration: its runs stand for this one.
    same_as: str | None = None

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def trains(self) -> bool:
        return self.config is not None and self.same_as is None


Provided = dict[str, tuple[str, frozenset[str]]]


def _built_provides(config: ExperimentConfig) -> Provided:
    """kind → (name, what it provides), for the generator and discriminator of ``config``."""
    found: dict[str, tuple[str, Any]] = {
        "generator": (config.generator.name, build_generator(config.generator))
    }
    discriminator = build_discriminator(config)
    if discriminator is not None:
        found["discriminator"] = (config.discriminator.name, discriminator)
    return {kind: (name, frozenset(model.provides)) for kind, (name, model) in found.items()}


def _term_needs(term: WeightedSpec) -> frozenset[str]:
    return frozenset(TERMS.create(term.name, **term.options).needs)


def _provided(provides: Provided, need: str) -> frozenset[str]:
    kind = PROVIDERS.get(need, ("generator", need))[0]
    return provides.get(kind, ("", frozenset()))[1]


def apply_variant(
    base: ExperimentConfig, variant: AblationVariant, base_provides: Provided, dataset: Component
) -> tuple[ExperimentConfig, list[str]]:
    """The variant's resolved configuration and notes on the loss terms it had to drop."""
    tables = base.to_dict()
    for section in ("generator", "discriminator", "objective"):
        set_component(tables, section, getattr(variant, section) or None)
    for name in variant.drop_terms:
        if not any(term["name"] == name for term in tables["terms"]):
            raise DerainBenchError(f"the recipe has no loss term '{name}' to remove")
    drop_loss_terms(tables, variant.drop_terms)
    for override in variant.set:
        apply_override(tables, override)
    config = resolve(tables)
    provides = _built_provides(config)
    notes, kept = [], []
    for term in config.terms:
        lost = [
            need
            for need in sorted(_term_needs(term))
            if need in _provided(base_provides, need) and need not in _provided(provides, need)
        ]
        if lost:
            kind, what = PROVIDERS[lost[0]]
            notes.append(
                f"dropped loss term '{term.name}': it needs {what}, which the {kind} no "
                f"longer produces"
            )
        else:
            kept.append(term)
    config = dataclasses.replace(config, terms=tuple(kept))
    components = [dataset, *(Component(k, n, p) for k, (n, p) in provides.items())]
    for term in kept:
        check_term_needs(term.name, _term_needs(term), components)
    return config, notes


def plan(
    base: ExperimentConfig, variants: Sequence[AblationVariant], dataset_provides: frozenset[str]
) -> list[PlannedVariant]:
    """Resolve every variant against the full model ``base``; nothing is trained here."""
    base_provides = _built_provides(base)
    train_name = base.data.train.name if base.data.train is not None else "none"
    dataset = Component("dataset", train_name, dataset_provides)
    planned: list[PlannedVariant] = []
    seen: dict[str, str] = {}
    for variant in variants:
        try:
            config, notes = apply_variant(base, variant, base_provides, dataset)
        except DerainBenchError as error:
            planned.append(PlannedVariant(variant, error=str(error)))
            continue
        digest = config.hash
        planned.append(PlannedVariant(variant, config, notes, same_as=seen.get(digest)))
        seen.setdefault(digest, variant.name)
    return planned
