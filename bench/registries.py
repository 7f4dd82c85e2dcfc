"""The registries of derainbench, one per kind of component.

Components register themselves with a decorator in their own module::

    from derainbench.registries import GENERATORS

    @GENERATORS.register("my-net", paper="...", native_range="[0, 1]", multiple_of=4)
    def my_net(width: int = 64) -> Generator: ...

The built-in modules below and the plug-ins are imported the first time any registry is queried.
A module that fails to import is reported and skipped; the others stay usable.
"""

from __future__ import annotations

from derainbench.registry import Registry

# Modules whose import registers the built-in components (imported lazily, in this order).
BUILTIN_MODULES: tuple[str, ...] = (
    "derainbench.models.generators.unet",
    "derainbench.models.discriminators.patchgan",
    "derainbench.losses.adversarial",
    "derainbench.losses.pixel",
    "derainbench.datasets.paired_folder",
    "derainbench.datasets.toy_rain",
    "derainbench.metrics.protocols",
    "derainbench.recipes",
)

_loaded = False


def load_components() -> None:
    """Import the built-in component modules and the installed plug-ins, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # set first: component modules query registries while importing
    from derainbench import plugins

    for module in BUILTIN_MODULES:
        plugins.import_reporting_failure(module, source="built-in")
    plugins.load_configured_plugins()


GENERATORS = Registry("generator", load_components)
DISCRIMINATORS = Registry("discriminator", load_components)
OBJECTIVES = Registry("objective", load_components)
TERMS = Registry("term", load_components)
DATASETS = Registry("dataset", load_components)
METRICS = Registry("metric", load_components)
RECIPES = Registry("recipe", load_components)

ALL: dict[str, Registry] = {
    "generators": GENERATORS,
    "discriminators": DISCRIMINATORS,
    "objectives": OBJECTIVES,
    "terms": TERMS,
    "datasets": DATASETS,
    "metrics": METRICS,
    "recipes": RECIPES,
}
