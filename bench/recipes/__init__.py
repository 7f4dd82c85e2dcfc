"""Recipes shipped with derainbench: one TOML file each, registered under its file name."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

from derainbench.registries import RECIPES


def _load(file_name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(file_name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _builder(recipe: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """A builder that returns a fresh copy of ``recipe`` (callers may edit what they get)."""

    def builder() -> dict[str, Any]:
        return copy.deepcopy(recipe)

    return builder


def _register_shipped_recipes() -> None:
    for item in sorted(resources.files(__name__).iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        recipe = _load(item.name)
        meta = recipe.get("recipe", {})
        name = item.name.removesuffix(".toml")

        builder = _builder(recipe)
        builder.__doc__ = meta.get("description", "")
        builder.__module__ = __name__
        RECIPES.register(
            name,
            paper=meta.get("paper", ""),
            description=meta.get("description", ""),
            generator=recipe.get("generator", {}).get("name"),
            discriminator=recipe.get("discriminator", {}).get("name"),
            objective=recipe.get("objective", {}).get("name"),
            terms=[t["name"] for t in recipe.get("terms", [])],
            deviations=meta.get("deviations", []),
            file=item.name,
        )(builder)


_register_shipped_recipes()
