"""Recipes + overrides → one resolved configuration, saved with every run and hashed.

A configuration is a plain dict of TOML types (sections ``recipe``, ``generator``,
``discriminator``, ``objective``, ``terms``, ``optimizer``, ``train``, ``data``, ``eval``, ``run``).
Component sections hold ``name`` plus the builder's options, completed with the builder's
defaults, so that the hash changes whenever anything that shapes the result changes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from derainbench.errors import DerainBenchError
from derainbench.registries import (
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    OBJECTIVES,
    PENALTIES,
    RECIPES,
    TERMS,
)
from derainbench.registry import Registry, builder_defaults, builder_options

NO_DISCRIMINATOR = "none"

# Sections and keys that do not change what is learnt: left out of the configuration hash.
# The test data and the protocol belong to an evaluation, recorded on its own leaderboard row.
UNHASHED_SECTIONS = ("run", "eval")
UNHASHED_KEYS = {
    ("train", "seed"),
    ("recipe", "description"),
    ("recipe", "deviations"),
    ("data", "test"),
}

DEFAULTS: dict[str, Any] = {
    "objective": {"name": "vanilla", "generator_weight": 1.0, "discriminator_weight": 1.0},
    "terms": [],
    "penalties": [],
    "optimizer": {
        "generator_lr": 2e-4,
        "discriminator_lr": 2e-4,
        "betas": [0.5, 0.999],
        "schedule": "constant",
        "decay_start": 0.5,
    },
    "train": {
        "steps": 1000,
        "batch_size": 1,
        "crop": 256,
        "flip": True,
        "seed": 0,
        "d_steps": 1,
        "regenerate_fake": False,
    },
    "eval": {"protocol": "y-matlab", "generator_mode": "eval"},
    "run": {
        "device": "auto",
        "precision": "fp32",
        "workers": "auto",
        "log_every": 10,
        "sample_every": 500,
        "checkpoint_every": 500,
        "plugins": [],
    },
}


def load_recipe(name_or_path: str) -> dict[str, Any]:
    """A shipped recipe by name, or a TOML file by path."""
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise DerainBenchError(f"recipe file not found: {path}")
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise DerainBenchError(f"recipe {path} is not valid TOML: {error}") from None
    return RECIPES.create(name_or_path)


def parse_value(text: str) -> Any:
    """A TOML value (number, bool, list, quoted string); anything else is taken as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(config: dict[str, Any], assignment: str) -> None:
    """Apply ``section.key=value`` (list items by index: ``terms.0.weight=10``) in place."""
    if "=" not in assignment:
        raise DerainBenchError(f"override '{assignment}' is not of the form section.key=value")
    path, _, raw = assignment.partition("=")
    keys = path.strip().split(".")
    node: Any = config
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[_list_index(node, key, path)]
        else:
            node = node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        node[_list_index(node, last, path)] = parse_value(raw.strip())
    elif isinstance(node, dict):
        node[last] = parse_value(raw.strip())
    else:
        raise DerainBenchError(f"override '{assignment}': '{'.'.join(keys[:-1])}' is not a table")


def _list_index(items: list[Any], key: str, path: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise DerainBenchError(f"override '{path}': '{key}' is not an index below {len(items)}")
    return int(key)


def set_component(config: dict[str, Any], section: str, name: str | None) -> None:
    """Choose another component for ``section``, dropping the recipe's options for the old one."""
    if name is None:
        return
    current = config.get(section, {})
    if current.get("name") != name:
        config[section] = {"name": name}


def _complete(section: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """Fill a component section with its builder's defaults; refuse options it does not take."""
    name = section.get("name")
    if not name:
        raise DerainBenchError(f"the {registry.kind} section has no 'name'")
    entry = registry.get(name)
    defaults = builder_defaults(entry.builder)
    accepted = builder_options(entry.builder)
    extra = sorted(set(section) - {"name", "weight"} - set(accepted))
    if extra:
        raise DerainBenchError(
            f"{registry.kind} '{name}' has no option {', '.join(repr(e) for e in extra)}; "
            f"options: {', '.join(accepted) or 'none'}"
        )
    missing = [option for option in accepted if option not in defaults and option not in section]
    if missing:
        raise DerainBenchError(f"{registry.kind} '{name}' needs option {', '.join(missing)}")
    return {"name": name, **defaults, **{k: v for k, v in section.items() if k != "name"}}


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve(config: dict[str, Any]) -> dict[str, Any]:
    """Complete a recipe (with overrides applied) into the configuration a run records."""
    config = _merge(DEFAULTS, config)
    config.setdefault("recipe", {}).setdefault("name", "custom")
    config["generator"] = _complete(config.get("generator", {}), GENERATORS)
    disc = config.get("discriminator", {"name": NO_DISCRIMINATOR})
    if disc.get("name", NO_DISCRIMINATOR) == NO_DISCRIMINATOR:
        config["discriminator"] = {"name": NO_DISCRIMINATOR}
    else:
        config["discriminator"] = _complete(disc, DISCRIMINATORS)
    objective = config["objective"]
    weights = {k: v for k, v in objective.items() if k.endswith("_weight")}
    options = {k: v for k, v in objective.items() if not k.endswith("_weight")}
    config["objective"] = {**_complete(options, OBJECTIVES), **weights}
    terms = []
    for term in config["terms"]:
        options = {k: v for k, v in term.items() if k != "weight"}
        terms.append({**_complete(options, TERMS), "weight": float(term.get("weight", 1.0))})
    config["terms"] = terms
    penalties = []
    for penalty in config["penalties"]:
        options = {k: v for k, v in penalty.items() if k != "weight"}
        weight = float(penalty.get("weight", 1.0))
        penalties.append({**_complete(options, PENALTIES), "weight": weight})
    config["penalties"] = penalties
    for split in ("train", "test"):
        if split in config.get("data", {}):
            spec = config["data"][split]
            if isinstance(spec, str):  # a bare path means a paired folder
                spec = {"name": "paired-folder", "root": spec}
            spec = _complete(spec, DATASETS)
            # Crops and flips are training choices, set from [train] for the training split only.
            for key in ("crop", "flip"):
                spec.pop(key, None)
            config["data"][split] = spec
    _check_train(config["train"])
    return config


def _check_train(train: dict[str, Any]) -> None:
    for key in ("steps", "batch_size", "d_steps"):
        if not isinstance(train.get(key), int) or train[key] < 1:
            raise DerainBenchError(f"train.{key} must be a positive integer (got {train.get(key)})")


def config_hash(config: dict[str, Any]) -> str:
    """SHA-256 (hex) of what shapes the result; run settings and the seed are left out."""
    semantic = {k: v for k, v in config.items() if k not in UNHASHED_SECTIONS}
    semantic = copy.deepcopy(semantic)
    for section, key in UNHASHED_KEYS:
        semantic.get(section, {}).pop(key, None)
    text = json.dumps(semantic, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def to_toml(config: dict[str, Any]) -> str:
    """Serialise a configuration (plain TOML types only) as TOML text."""
    lines: list[str] = []
    tables = {k: v for k, v in config.items() if isinstance(v, dict)}
    arrays = {
        k: v for k, v in config.items() if isinstance(v, list) and v and isinstance(v[0], dict)
    }
    for key, value in config.items():
        if key not in tables and key not in arrays:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables.items():
        lines += ["", f"[{name}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None]
    for name, items in arrays.items():
        for item in items:
            lines += ["", f"[[{name}]]"]
            lines += [
                f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items() if v is not None
            ]
    return "\n".join(lines).lstrip() + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(
            f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{ " + inner + " }"
    return json.dumps(str(value))
