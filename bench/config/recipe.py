"""Recipes are data: one TOML file holds a method's configuration, its written deviations from
the paper, its ablation design and the scale at which the demo trains it.

Besides the configuration tables (see :mod:`derainbench.config.schema`) a recipe may have:

``[ablation]``: named one-factor variants of the full model (``[[ablation.variants]]`` with
``name``, ``description``, ``generator``/``discriminator``/``objective`` = a replacement,
``set`` = overrides, ``drop_terms``) and named designs that list them
(``[ablation.designs]``); ``derain-bench ablate --recipe R --design D`` trains design D.

``[demo]``: ``steps``, ``batch_size``, ``crop`` and overrides (``set``) that make the recipe
train in minutes on a CPU for ``derain-bench demo``; ``[demo.without_weights]`` says what happens
to a loss term whose pretrained weights are absent: ``"drop"``, or the table of a stand-in term.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derainbench.config.typed_tables import settings_section, unknown_key_message
from derainbench.errors import ConfigError, DerainBenchError

FULL = "full"
#: The design every recipe has: the full model alone (useful with ``--factor``).
NO_VARIANTS = "none"
DROP = "drop"


@dataclass(frozen=True, kw_only=True)
class AblationVariant:
    """The full model with one change: overrides and/or removed loss terms."""

    name: str
    description: str = ""
    #: Replacement components (like ``-g``/``-d``/``--objective``): the recipe's options for
    #: the replaced component are dropped.
    generator: str = ""
    discriminator: str = ""
    objective: str = ""
    set: tuple[str, ...] = ()
    drop_terms: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AblationDesign:
    """A recipe's variants and the named designs (lists of variant names) that group them."""

    variants: tuple[AblationVariant, ...] = ()
    designs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_design: str = NO_VARIANTS

    def design_names(self) -> list[str]:
        return [*self.designs, NO_VARIANTS] if NO_VARIANTS not in self.designs else [*self.designs]

    def variants_of(self, design: str) -> list[AblationVariant]:
        """The variants of ``design`` (the full model not included), in the design's order."""
        if design == NO_VARIANTS:
            return []
        if design not in self.designs:
            choices = ", ".join(self.design_names())
            raise DerainBenchError(f"unknown design '{design}'; this recipe has: {choices}")
        by_name = {v.name: v for v in self.variants}
        return [by_name[name] for name in self.designs[design]]

    @classmethod
    def from_table(cls, table: Any) -> AblationDesign:
        if not isinstance(table, Mapping):
            raise ConfigError("[ablation] must be a table")
        known = ["variants", "designs", "default_design"]
        for key in table:
            if key not in known:
                raise ConfigError(unknown_key_message(key, known, "ablation"))
        variants = tuple(
            settings_section(AblationVariant, item, f"ablation.variants.{index}")
            for index, item in enumerate(table.get("variants", []))
        )
        names = [v.name for v in variants]
        repeated = sorted({n for n in names if names.count(n) > 1} | ({FULL} & set(names)))
        if repeated:
            raise ConfigError(f"[ablation] variant names must be unique and not 'full': {repeated}")
        designs = {}
        for design, members in dict(table.get("designs", {})).items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise ConfigError(f"ablation.designs.{design} must be a list of variant names")
            unknown = [m for m in members if m not in names]
            if unknown:
                raise ConfigError(
                    f"ablation.designs.{design} names unknown variant(s) {', '.join(unknown)}; "
                    f"variants: {', '.join(names) or 'none'}"
                )
            designs[design] = tuple(members)
        default = table.get("default_design", next(iter(designs), NO_VARIANTS))
        if default != NO_VARIANTS and default not in designs:
            raise ConfigError(f"ablation.default_design '{default}' is not a design")
        return cls(variants=variants, designs=designs, default_design=default)


@dataclass(frozen=True, kw_only=True)
class DemoScale:
    """How ``derain-bench demo`` shrinks a recipe: its loss terms and objective stay the recipe's
    (their weights may be re-balanced by ``set``, which the plan then states)."""

    steps: int
    batch_size: int
    crop: int
    #: The fraction of the steps trained on the loss terms alone before the adversarial game
    #: starts (train.adversarial_start): a pixel-loss warm-up, as ESRGAN pre-trains.
    warmup: float = 0.0
    set: tuple[str, ...] = ()
    #: Loss term → None (dropped) or the table of the term that stands in when the term's
    #: pretrained weights are absent; every substitution is printed and recorded.
    without_weights: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Any) -> DemoScale:
        if not isinstance(table, Mapping):
            raise ConfigError("[demo] must be a table")
        plain = {k: v for k, v in table.items() if k != "without_weights"}
        for key in ("steps", "batch_size", "crop"):
            if key not in plain:
                raise ConfigError(f"[demo] needs '{key}'")
        scale = settings_section(_DemoTable, plain, "demo")
        if not 0.0 <= scale.warmup < 1.0:
            raise ConfigError(f"demo.warmup must be in [0, 1) (got {scale.warmup})")
        stand_ins: dict[str, Mapping[str, Any] | None] = {}
        for term, replacement in dict(table.get("without_weights", {})).items():
            if replacement == DROP:
                stand_ins[term] = None
            elif isinstance(replacement, Mapping) and "name" in replacement:
                stand_ins[term] = dict(replacement)
            else:
                raise ConfigError(
                    f'demo.without_weights.{term} must be "drop" or a loss term\'s table'
                )
        return cls(
            steps=scale.steps,
            batch_size=scale.batch_size,
            crop=scale.crop,
            warmup=scale.warmup,
            set=scale.set,
            without_weights=stand_ins,
        )


@dataclass(frozen=True, kw_only=True)
class _DemoTable:
    steps: int = 1
    batch_size: int = 1
    crop: int = 1
    warmup: float = 0.0
    set: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """A shipped or user recipe: configuration tables plus its ablation design and demo scale."""

    name: str
    tables: Mapping[str, Any]
    ablation: AblationDesign = field(default_factory=AblationDesign)
    demo: DemoScale | None = None
    file: str = ""

    def configuration(self) -> dict[str, Any]:
        """A fresh copy of the configuration tables (callers may edit what they get)."""
        return copy.deepcopy(dict(self.tables))

    @property
    def section(self) -> Mapping[str, Any]:
        return self.tables.get("recipe", {})

    @classmethod
    def from_tables(cls, tables: Mapping[str, Any], name: str = "", file: str = "") -> Recipe:
        """Split a recipe file's tables into configuration, ablation design and demo scale."""
        tables = copy.deepcopy(dict(tables))
        ablation = tables.pop("ablation", None)
        demo = tables.pop("demo", None)
        recipe_name = tables.get("recipe", {}).get("name") or name or "custom"
        return cls(
            name=recipe_name,
            tables=tables,
            ablation=AblationDesign.from_table(ablation) if ablation else AblationDesign(),
            demo=DemoScale.from_table(demo) if demo is not None else None,
            file=file,
        )


def read_recipe_file(path: Path) -> Recipe:
    """A recipe from a TOML file; a missing or malformed file is one line."""
    if not path.is_file():
        raise DerainBenchError(f"recipe file not found: {path}")
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DerainBenchError(f"recipe {path} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise DerainBenchError(f"recipe {path} is not UTF-8 text") from None
    return Recipe.from_tables(tables, name=path.stem, file=str(path))


def load_recipe(name_or_path: str) -> Recipe:
    """A shipped recipe by name, or a TOML file by path."""
    from derainbench.registries import RECIPES

    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.is_file():
        return read_recipe_file(path)
    return RECIPES.create(name_or_path)
