"""The registries of derainbench, one per kind of component.

Components register themselves with a decorator in their own module::

    from derainbench.registries import GENERATORS

    @GENERATORS.register("my-net", paper="...", native_range="[0, 1]", multiple_of=4)
    def my_net(width: int = 64) -> Generator: ...

The built-in modules below and the plug-ins are imported the first time any registry is queried.
A module that fails to import is reported and skipped; the others stay usable.
"""

from __future__ import annotations

import importlib
import pkgutil

from derainbench.registry import Registry

# Packages whose modules register the built-in components: every module in them is imported
# (lazily, on the first registry query), so adding a model is one new file and one decorator.
BUILTIN_PACKAGES: tuple[str, ...] = (
    "derainbench.models.generators",
    "derainbench.models.discriminators",
    "derainbench.losses",
    "derainbench.datasets",
    "derainbench.metrics",
    "derainbench.recipes",
)


def builtin_modules() -> list[str]:
    """The modules of :data:`BUILTIN_PACKAGES` and of their subpackages, at any depth, in
    sorted order; private ones (``_x``) and what they contain are left out."""
    modules = []
    for package_name in BUILTIN_PACKAGES:
        package = importlib.import_module(package_name)
        modules.append(package_name)
        found = pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
        for info in sorted(found, key=lambda info: info.name):
            relative = info.name.removeprefix(f"{package_name}.")
            if not any(part.startswith("_") for part in relative.split(".")):
                modules.append(info.name)
    return modules


_loaded = False


def load_components() -> None:
    """Import the built-in component modules and the installed plug-ins, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # set first: component modules query registries while importing
    from derainbench import plugins

    for module in builtin_modules():
        plugins.import_reporting_failure(module, source="built-in")
    plugins.load_configured_plugins()


GENERATORS = Registry("generator", load_components)
DISCRIMINATORS = Registry("discriminator", load_components)
OBJECTIVES = Registry("objective", load_components)
TERMS = Registry("term", load_components)
PENALTIES = Registry("penalty", load_components)
DATASETS = Registry("dataset", load_components)
METRICS = Registry("metric", load_components)
RECIPES = Registry("recipe", load_components)

ALL: dict[str, Registry] = {
    "generators": GENERATORS,
    "discriminators": DISCRIMINATORS,
    "objectives": OBJECTIVES,
    "terms": TERMS,
    "penalties": PENALTIES,
    "datasets": DATASETS,
    "metrics": METRICS,
    "recipes": RECIPES,
}
