"""A recipe's tables (with overrides applied) → the typed configuration a run records.

Component sections are completed with their builder's defaults, so that the configuration hash
changes whenever anything that shapes the result changes; every key is checked, so a misspelt
option or setting is refused with its close matches instead of being silently ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from derainbench.config.schema import (
    DATA_SPLITS,
    NO_DISCRIMINATOR,
    SECTIONS,
    ComponentSpec,
    DataSpecs,
    EvalSettings,
    ExperimentConfig,
    ObjectiveSpec,
    OptimizerSettings,
    RecipeSection,
    RunSettings,
    TrainSettings,
    WeightedSpec,
)
from derainbench.config.typed_tables import settings_section, unknown_key_message
from derainbench.errors import ConfigError
from derainbench.registries import (
    DATASETS,
    DISCRIMINATORS,
    GENERATORS,
    OBJECTIVES,
    PENALTIES,
    TERMS,
)
from derainbench.registry import (
    Registry,
    builder_defaults,
    builder_options,
    check_option_types,
)

#: Keys of a component section that are not builder options.
_OBJECTIVE_WEIGHTS = ("generator_weight", "discriminator_weight")
#: Dataset options that come from [train] (crop, flip), for the training split only.
_TRAINING_ONLY = ("crop", "flip")


def _options(
    section: Mapping[str, Any], registry: Registry | None, where: str, reserved: tuple[str, ...]
) -> tuple[str, dict[str, Any]]:
    """(name, options) of a component section; with a registry, checked and completed with the
    builder's defaults (a stored, already complete section needs none)."""
    if not isinstance(section, Mapping):
        raise ConfigError(f"configuration section '{where}' must be a table, got {section!r}")
    name = section.get("name")
    if not name or not isinstance(name, str):
        kind = registry.kind if registry is not None else "component"
        raise ConfigError(f"the {kind} section '{where}' has no 'name'")
    given = {k: copy.deepcopy(v) for k, v in section.items() if k != "name" and k not in reserved}
    if registry is None:
        return name, given
    entry = registry.get(name)
    defaults = builder_defaults(entry.builder)
    accepted = builder_options(entry.builder)
    extra = sorted(set(given) - set(accepted))
    if extra:
        raise ConfigError(
            f"{registry.kind} '{name}' has no option {', '.join(repr(e) for e in extra)}; "
            f"options: {', '.join(accepted) or 'none'}"
        )
    missing = [option for option in accepted if option not in defaults and option not in given]
    if missing:
        raise ConfigError(f"{registry.kind} '{name}' needs option {', '.join(missing)}")
    check_option_types(registry.kind, name, entry.builder, given)
    return name, {**copy.deepcopy(defaults), **given}


def _weight(section: Mapping[str, Any], key: str, where: str, default: float = 1.0) -> float:
    value = section.get(key, default)
    if type(value) not in (int, float):
        raise ConfigError(f"{where}.{key} must be a number (got {value!r})")
    return float(value)


def _weighted(items: Any, registry: Registry | None, where: str) -> tuple[WeightedSpec, ...]:
    if not isinstance(items, list | tuple):
        raise ConfigError(f"configuration section '{where}' must be an array of tables")
    specs = []
    for index, item in enumerate(items):
        name, options = _options(item, registry, f"{where}.{index}", ("weight",))
        weight = _weight(item, "weight", f"{where}.{index}")
        specs.append(WeightedSpec(name=name, options=options, weight=weight))
    return tuple(specs)


def _dataset(spec: Any, complete: bool, where: str) -> ComponentSpec:
    if isinstance(spec, str):  # a bare path means a paired folder
        spec = {"name": "paired-folder", "root": spec}
    registry = DATASETS if complete else None
    name, options = _options(spec, registry, where, ())
    if complete:  # crops and flips are training choices, set from [train]
        for key in _TRAINING_ONLY:
            options.pop(key, None)
    return ComponentSpec(name=name, options=options)


def resolve(raw: Mapping[str, Any], complete: bool = True) -> ExperimentConfig:
    """The typed configuration of recipe tables ``raw``.

    ``complete`` (the default) looks every component up in its registry, refuses options it does
    not take and fills in the defaults; ``complete=False`` reads a configuration a run stored,
    which is already complete (and whose plug-ins may not be loaded yet).
    """
    for section in raw:
        if section not in SECTIONS:
            raise ConfigError(unknown_key_message(section, list(SECTIONS), ""))
    generators = GENERATORS if complete else None
    if "generator" not in raw:
        raise ConfigError("the configuration names no generator (section [generator])")
    name, options = _options(raw["generator"], generators, "generator", ())
    generator = ComponentSpec(name=name, options=options)

    disc = raw.get("discriminator", {"name": NO_DISCRIMINATOR})
    if isinstance(disc, Mapping) and disc.get("name", NO_DISCRIMINATOR) == NO_DISCRIMINATOR:
        extra = sorted(set(disc) - {"name"})
        if extra:
            raise ConfigError(
                f"discriminator 'none' takes no options (got {', '.join(extra)}); "
                f"--discriminator none replaces the recipe's discriminator with its options"
            )
        discriminator = ComponentSpec(name=NO_DISCRIMINATOR)
    else:
        name, options = _options(disc, DISCRIMINATORS if complete else None, "discriminator", ())
        discriminator = ComponentSpec(name=name, options=options)

    objective_raw = raw.get("objective", {"name": "vanilla"})
    name, options = _options(
        objective_raw, OBJECTIVES if complete else None, "objective", _OBJECTIVE_WEIGHTS
    )
    objective = ObjectiveSpec(
        name=name,
        options=options,
        generator_weight=_weight(objective_raw, "generator_weight", "objective"),
        discriminator_weight=_weight(objective_raw, "discriminator_weight", "objective"),
    )

    data_raw = raw.get("data", {})
    if not isinstance(data_raw, Mapping):
        raise ConfigError("configuration section 'data' must be a table")
    for split in data_raw:
        if split not in DATA_SPLITS:
            raise ConfigError(unknown_key_message(split, list(DATA_SPLITS), "data"))
    data = DataSpecs(
        **{split: _dataset(spec, complete, f"data.{split}") for split, spec in data_raw.items()}
    )
    source = raw.get("source")
    return ExperimentConfig(
        recipe=settings_section(RecipeSection, raw.get("recipe"), "recipe"),
        generator=generator,
        discriminator=discriminator,
        objective=objective,
        terms=_weighted(raw.get("terms", []), TERMS if complete else None, "terms"),
        penalties=_weighted(raw.get("penalties", []), PENALTIES if complete else None, "penalties"),
        optimizer=settings_section(OptimizerSettings, raw.get("optimizer"), "optimizer"),
        train=settings_section(TrainSettings, raw.get("train"), "train"),
        data=data,
        eval=settings_section(EvalSettings, raw.get("eval"), "eval"),
        run=settings_section(RunSettings, raw.get("run"), "run"),
        source=dict(source) if isinstance(source, Mapping) else None,
    )


def from_stored(tables: Mapping[str, Any]) -> ExperimentConfig:
    """The configuration a run folder or checkpoint stored (complete already)."""
    return resolve(tables, complete=False)


#: Component sections (one table each) and lists of them, with their registries.
_COMPONENT_TABLES = {"generator": GENERATORS, "discriminator": DISCRIMINATORS}
_COMPONENT_LISTS = {"terms": TERMS, "penalties": PENALTIES}


def with_later_defaults(stored: ExperimentConfig) -> ExperimentConfig:
    """``stored`` with the options its components gained since it was written, at their
    defaults. A component option added later defaults to what the component did before, so a
    run that started without it ran exactly that; a component that is no longer registered
    (a plug-in not loaded) is left as stored."""
    tables = stored.to_dict()
    sections = [(tables.get(key), registry) for key, registry in _COMPONENT_TABLES.items()]
    sections += [
        (item, registry) for key, registry in _COMPONENT_LISTS.items() for item in tables[key]
    ]
    for section, registry in sections:
        if not isinstance(section, dict) or section.get("name") not in registry.names():
            continue
        defaults = builder_defaults(registry.get(section["name"]).builder)
        for option, value in defaults.items():
            section.setdefault(option, copy.deepcopy(value))
    return from_stored(tables)
