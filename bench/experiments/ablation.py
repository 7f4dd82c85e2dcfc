"""One-factor-at-a-time ablation designs: named variants of a recipe, as configuration changes.

A :class:`Variant` changes the full model's configuration by ``--set``-style overrides and by
removing loss terms. Planning applies it, then drops every loss term whose needs the variant took
away (no attention maps without the recurrent network, no map loss without the discriminator's
map) and says so in a note; a variant that cannot be built is reported with its reason, and one
whose configuration equals an earlier variant's (``steps-4`` is the full model) is not trained
twice.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from derainbench.config import NO_DISCRIMINATOR, apply_override, config_hash, parse_value, resolve
from derainbench.errors import DerainBenchError
from derainbench.losses.compat import PROVIDERS, Component, check_term_needs
from derainbench.registries import TERMS

FULL = "full"


@dataclass(frozen=True)
class Variant:
    """A named change of the full model: overrides (``section.key=value``) and removed terms."""

    name: str
    description: str
    overrides: tuple[str, ...] = ()
    drop_terms: tuple[str, ...] = ()


_FULL = Variant(FULL, "the recipe as written")
_COMPONENTS = (
    Variant(
        "no-arn",
        "no attentive-recurrent network: the contextual autoencoder alone",
        ("generator.recurrent_steps=0",),
    ),
    Variant("no-attention-loss", "attention loss removed", drop_terms=("attention",)),
    Variant(
        "plain-discriminator",
        "discriminator without its attention map",
        ("discriminator.attention_map=false",),
    ),
    Variant("no-multiscale", "multi-scale loss removed", drop_terms=("multiscale",)),
    Variant("no-perceptual", "perceptual loss removed", drop_terms=("perceptual",)),
)
_STEPS = tuple(
    Variant(
        f"steps-{n}",
        f"{n} recurrent step{'s' if n > 1 else ''}",
        (f"generator.recurrent_steps={n}",),
    )
    for n in (1, 2, 3, 4)
)

#: Named designs; every one starts with the full model, the reference of every difference.
DESIGNS: dict[str, tuple[Variant, ...]] = {
    "default": (_FULL, *_COMPONENTS, *_STEPS),
    "components": (_FULL, *_COMPONENTS),
    "steps": (_FULL, *_STEPS),
    "none": (_FULL,),
}

# Where a bare factor key (``recurrent_steps``) is looked for, in order.
_FACTOR_SECTIONS = ("generator", "discriminator", "objective", "train", "optimizer")


def split_values(text: str) -> list[str]:
    """'1,2,[0.6, 0.8]' → ['1', '2', '[0.6, 0.8]']: commas inside brackets or quotes stay."""
    values, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(current.strip())
            current = ""
            continue
        current += char
    values.append(current.strip())
    return [v for v in values if v]


def factor_variants(factor: str, config: dict[str, Any]) -> list[Variant]:
    """Variants from ``KEY=V1,V2,...``; a bare KEY is found among the component options."""
    if "=" not in factor:
        raise DerainBenchError(f"factor '{factor}' is not of the form KEY=V1,V2 (e.g. steps=1,2)")
    key, _, raw = factor.partition("=")
    key = key.strip()
    if "." not in key:
        sections = [s for s in _FACTOR_SECTIONS if key in config.get(s, {})]
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
        Variant(f"{short}={value}", f"{key} = {parse_value(value)!r}", (f"{key}={value}",))
        for value in values
    ]


def design_variants(
    design: str | None, factors: Sequence[str], config: dict[str, Any]
) -> list[Variant]:
    """The full model, the named design's variants (default: 'default', or 'none' when factors
    are given), then one variant per factor value; names must be unique."""
    design = design or ("none" if factors else "default")
    if design not in DESIGNS:
        raise DerainBenchError(f"unknown design '{design}'; choose one of {', '.join(DESIGNS)}")
    variants = list(DESIGNS[design])
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

    variant: Variant
    config: dict[str, Any] | None = None
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


def _built_provides(config: dict[str, Any]) -> dict[str, tuple[str, frozenset[str]]]:
    """kind → (name, what it provides), for the generator and discriminator of ``config``."""
    from derainbench.training.components import build_discriminator, build_generator

    found = {"generator": (config["generator"]["name"], build_generator(config["generator"]))}
    if config["discriminator"]["name"] != NO_DISCRIMINATOR:
        found["discriminator"] = (
            config["discriminator"]["name"],
            build_discriminator(config["discriminator"]),
        )
    return {kind: (name, frozenset(model.provides)) for kind, (name, model) in found.items()}


def _term_needs(term: dict[str, Any]) -> frozenset[str]:
    options = {k: v for k, v in term.items() if k not in ("name", "weight")}
    return frozenset(TERMS.create(term["name"], **options).needs)


def _provided(provides: dict[str, tuple[str, frozenset[str]]], need: str) -> frozenset[str]:
    kind = PROVIDERS.get(need, ("generator", need))[0]
    return provides.get(kind, ("", frozenset()))[1]


def apply_variant(
    base: dict[str, Any],
    variant: Variant,
    base_provides: dict[str, tuple[str, frozenset[str]]],
    dataset: Component,
) -> tuple[dict[str, Any], list[str]]:
    """The variant's resolved configuration and notes on the loss terms it had to drop."""
    config = copy.deepcopy(base)
    for name in variant.drop_terms:
        if not any(term["name"] == name for term in config["terms"]):
            raise DerainBenchError(f"the recipe has no loss term '{name}' to remove")
        config["terms"] = [term for term in config["terms"] if term["name"] != name]
    for override in variant.overrides:
        apply_override(config, override)
    config = resolve(config)
    provides = _built_provides(config)
    notes, kept = [], []
    for term in config["terms"]:
        lost = [
            need
            for need in sorted(_term_needs(term))
            if need in _provided(base_provides, need) and need not in _provided(provides, need)
        ]
        if lost:
            kind, what = PROVIDERS[lost[0]]
            notes.append(
                f"dropped loss term '{term['name']}': it needs {what}, which the {kind} no "
                f"longer produces"
            )
        else:
            kept.append(term)
    config["terms"] = kept
    components = [dataset, *(Component(k, n, p) for k, (n, p) in provides.items())]
    for term in kept:
        check_term_needs(term["name"], _term_needs(term), components)
    return config, notes


def plan(
    base: dict[str, Any], variants: Sequence[Variant], dataset_provides: frozenset[str]
) -> list[PlannedVariant]:
    """Resolve every variant against the full model ``base``; nothing is trained here."""
    base_provides = _built_provides(base)
    dataset = Component("dataset", base["data"]["train"]["name"], dataset_provides)
    planned: list[PlannedVariant] = []
    seen: dict[str, str] = {}
    for variant in variants:
        try:
            config, notes = apply_variant(base, variant, base_provides, dataset)
        except DerainBenchError as error:
            planned.append(PlannedVariant(variant, error=str(error)))
            continue
        digest = config_hash(config)
        planned.append(PlannedVariant(variant, config, notes, same_as=seen.get(digest)))
        seen.setdefault(digest, variant.name)
    return planned
