"""Configuration: recipes (data), overrides, and the typed, resolved configuration of a run.

recipe TOML (+ component replacements, ``--set`` overrides, dropped terms) → :func:`resolve` →
:class:`ExperimentConfig`, saved in the run folder as TOML with its hash.
"""

from derainbench.config.overrides import apply_override, parse_value, split_values
from derainbench.config.recipe import (
    AblationDesign,
    AblationVariant,
    DemoScale,
    Recipe,
    load_recipe,
)
from derainbench.config.resolve import from_stored, resolve, with_later_defaults
from derainbench.config.schema import (
    NO_DISCRIMINATOR,
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
    config_hash,
)
from derainbench.config.toml_text import to_toml

__all__ = [
    "NO_DISCRIMINATOR",
    "AblationDesign",
    "AblationVariant",
    "ComponentSpec",
    "DataSpecs",
    "DemoScale",
    "EvalSettings",
    "ExperimentConfig",
    "ObjectiveSpec",
    "OptimizerSettings",
    "Recipe",
    "RecipeSection",
    "RunSettings",
    "TrainSettings",
    "WeightedSpec",
    "apply_override",
    "config_hash",
    "from_stored",
    "load_recipe",
    "parse_value",
    "resolve",
    "split_values",
    "to_toml",
    "with_later_defaults",
]
