"""Recipes shipped with derainbench: one TOML file each, registered under its file name.

A new recipe is one more ``.toml`` file here (or anywhere, passed as ``--recipe path.toml``):
its configuration tables, written deviations, ablation design and demo scale are all data
(see :mod:`derainbench.config.recipe`).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from importlib import resources

from derainbench.config.recipe import Recipe
from derainbench.registries import RECIPES


def _builder(recipe: Recipe) -> Callable[[], Recipe]:
    """A builder that returns a fresh copy of ``recipe`` (callers may edit what they get)."""

    def builder() -> Recipe:
        return copy.deepcopy(recipe)

    return builder


def register_recipe(recipe: Recipe) -> None:
    """Register ``recipe`` under its name, its record read from its tables."""
    tables = recipe.tables
    meta = recipe.section
    builder = _builder(recipe)
    builder.__doc__ = meta.get("description", "")
    builder.__module__ = __name__
    RECIPES.register(
        recipe.name,
        paper=meta.get("paper", ""),
        description=meta.get("description", ""),
        generator=tables.get("generator", {}).get("name", ""),
        discriminator=tables.get("discriminator", {}).get("name", "none"),
        objective=tables.get("objective", {}).get("name", "vanilla"),
        terms=[t["name"] for t in tables.get("terms", [])],
        deviations=meta.get("deviations", []),
        file=recipe.file,
        ablation_designs=recipe.ablation.design_names(),
        demo=recipe.demo is not None,
    )(builder)


def _register_shipped_recipes() -> None:
    for item in sorted(resources.files(__name__).iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            tables = tomllib.loads(item.read_text(encoding="utf-8"))
            name = item.name.removesuffix(".toml")
            register_recipe(Recipe.from_tables(tables, name=name, file=item.name))


_register_shipped_recipes()
