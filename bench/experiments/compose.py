"""Compose an experiment: a recipe, replacement components, data, overrides and dropped loss
terms → the resolved, typed configuration that one run trains (:func:`derainbench.compose`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from derainbench.config import ExperimentConfig, Recipe, apply_override, load_recipe, resolve
from derainbench.errors import DerainBenchError
from derainbench.plugins import requested_plugins
from derainbench.registries import DATASETS


def data_spec(value: str | Mapping[str, Any]) -> dict[str, Any]:
    """Training or test data: a folder path, a registered dataset as ``NAME[:SPLIT]``, or a
    dataset table (``{"name": ..., options}``)."""
    if isinstance(value, Mapping):
        return dict(value)
    path = Path(value)
    name, _, split = value.partition(":")
    if not path.exists() and name in DATASETS:
        return {"name": name, **({"split": split} if split else {})}
    return {"name": "paired-folder", "root": value}


def set_component(tables: dict[str, Any], section: str, name: str | None) -> None:
    """Choose another component for ``section``, dropping the recipe's options for the old one."""
    if name is None:
        return
    current = tables.get(section, {})
    if current.get("name") != name:
        tables[section] = {"name": name}


def carve_validation(data: dict[str, Any], fraction: float) -> None:
    """Split a training folder by the salted hash of its file names: ``fraction`` of it for
    validation, the rest to train on (never from a test set)."""
    train = data.get("train")
    if not isinstance(train, dict) or train.get("name") not in ("paired-folder",):
        name = train.get("name") if isinstance(train, dict) else train
        raise DerainBenchError(
            f"--val-fraction carves validation data out of a folder of pairs; dataset '{name}' "
            f"has its own splits: pass --validation-data instead"
        )
    if not 0.0 < fraction < 1.0:
        raise DerainBenchError(f"--val-fraction must be between 0 and 1 (got {fraction})")
    data["train"] = {**train, "val_fraction": fraction, "subset": "train"}
    data["validation"] = {**train, "val_fraction": fraction, "subset": "val"}


def drop_loss_terms(tables: dict[str, Any], names: Sequence[str]) -> None:
    """Remove the named loss terms from a recipe's tables (the configuration records it)."""
    present = [t["name"] for t in tables.get("terms", [])]
    unknown = [name for name in names if name not in present]
    if unknown:
        raise DerainBenchError(
            f"--drop-term {', '.join(unknown)}: the recipe's loss terms are "
            f"{', '.join(present) or 'none'}"
        )
    tables["terms"] = [t for t in tables.get("terms", []) if t["name"] not in names]


def compose(
    recipe: str | Recipe | Mapping[str, Any] = "pix2pix",
    *,
    generator: str | None = None,
    discriminator: str | None = None,
    objective: str | None = None,
    train_data: str | Mapping[str, Any] | None = None,
    test_data: str | Mapping[str, Any] | None = None,
    validation_data: str | Mapping[str, Any] | None = None,
    val_fraction: float | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    crop: int | None = None,
    seed: int | None = None,
    device: str | None = None,
    workers: int | None = None,
    overrides: Sequence[str] = (),
    drop_terms: Sequence[str] = (),
) -> ExperimentConfig:
    """The resolved configuration of a recipe (shipped name, TOML file, :class:`Recipe` or
    tables) with replacement components, data, shortcuts, ``section.key=value`` overrides and
    loss terms dropped, in that order; every key and value is checked.

    Replacing the training data drops the recipe's validation data (it belongs to the recipe's
    own data) unless ``validation_data`` is given or ``val_fraction`` carves it out of the new
    training folder."""
    if isinstance(recipe, str):
        tables = load_recipe(recipe).configuration()
    elif isinstance(recipe, Recipe):
        tables = recipe.configuration()
    else:
        tables = Recipe.from_tables(recipe).configuration()
    set_component(tables, "generator", generator)
    set_component(tables, "discriminator", discriminator)
    if objective is not None:
        tables.setdefault("objective", {})["name"] = objective
    data = tables.setdefault("data", {})
    if train_data is not None:
        data["train"] = data_spec(train_data)
        if validation_data is None and not val_fraction:
            data.pop("validation", None)  # the recipe's validation set is of its own data
    if test_data is not None:
        data["test"] = data_spec(test_data)
    if validation_data is not None:
        data["validation"] = data_spec(validation_data)
    if val_fraction:
        carve_validation(data, val_fraction)
    for section, key, value in (
        ("train", "steps", steps),
        ("train", "batch_size", batch_size),
        ("train", "crop", crop),
        ("train", "seed", seed),
        ("run", "device", device),
        ("run", "workers", workers),
    ):
        if value is not None:
            tables.setdefault(section, {})[key] = value
    drop_loss_terms(tables, drop_terms)
    for item in overrides:
        apply_override(tables, item)
    tables.setdefault("run", {})["plugins"] = requested_plugins()
    if "train" not in tables.get("data", {}):
        raise DerainBenchError("no training data: pass --train-data (the recipe names none)")
    config = resolve(tables)
    config.train.check_trainable()
    return config
