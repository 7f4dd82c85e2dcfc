"""Plug-ins: packages and modules outside derainbench that register components.

Three ways in, all equivalent:

- an installed package declares an entry point in the group ``derainbench.plugins`` whose value
  is a module (importing it registers its components) or a callable taking no arguments;
- ``DERAINBENCH_PLUGINS``: module paths or ``.py`` files, separated by commas;
- ``derain-bench --plugin module.path`` (or ``load_plugin("module.path")`` from Python).

A plug-in that fails to import is reported with a warning and skipped.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

ENTRY_POINT_GROUP = "derainbench.plugins"
ENV_VARIABLE = "DERAINBENCH_PLUGINS"


class PluginWarning(UserWarning):
    """A plug-in (or built-in module) failed to import and was skipped."""


@dataclass(frozen=True)
class PluginFailure:
    """A module that could not be imported, and why (one line)."""

    name: str
    source: str
    reason: str


FAILURES: list[PluginFailure] = []
LOADED: list[str] = []
#: Plug-ins asked for by name in this process (``--plugin``, :func:`load_plugin`): recorded in
#: the configuration of runs composed here, so that ``eval`` and ``derain`` load them again.
REQUESTED: list[str] = []


def _report(name: str, source: str, error: BaseException) -> None:
    reason = f"{type(error).__name__}: {error}".splitlines()[0]
    FAILURES.append(PluginFailure(name, source, reason))
    warnings.warn(f"{source} plug-in '{name}' skipped: {reason}", PluginWarning, stacklevel=3)


def _import_module(spec: str) -> None:
    if spec.endswith(".py"):
        path = Path(spec).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        module_name = f"derainbench_plugin_{path.stem}"
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    else:
        importlib.import_module(spec)


def import_reporting_failure(spec: str, source: str) -> bool:
    """Import ``spec`` (module path or .py file); on failure warn, remember, return False."""
    if spec in LOADED:
        return True
    try:
        _import_module(spec)
    except Exception as error:  # noqa: BLE001 - any failure of foreign code is reported
        _report(spec, source, error)
        return False
    LOADED.append(spec)
    return True


def load_plugin(spec: str) -> bool:
    """Import one local plug-in given as a module path or a ``.py`` file."""
    from derainbench.registries import load_components

    load_components()  # built-ins first, so a plug-in may extend or reuse them
    spec = str(Path(spec).expanduser().resolve()) if spec.endswith(".py") else spec
    loaded = import_reporting_failure(spec, source="--plugin")
    if loaded and spec not in REQUESTED:
        REQUESTED.append(spec)
    return loaded


def requested_plugins() -> list[str]:
    """The plug-ins loaded by name in this process, in order."""
    return list(REQUESTED)


def env_plugins() -> list[str]:
    """Plug-ins named in the ``DERAINBENCH_PLUGINS`` environment variable."""
    raw = os.environ.get(ENV_VARIABLE, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def load_configured_plugins() -> None:
    """Import the entry-point plug-ins and those named in ``DERAINBENCH_PLUGINS``."""
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        label = f"{entry_point.name} ({entry_point.value})"
        if entry_point.value in LOADED:
            continue
        try:
            loaded = entry_point.load()
            if callable(loaded):
                loaded()
        except Exception as error:  # noqa: BLE001 - reported and skipped
            _report(label, "entry-point", error)
            continue
        LOADED.append(entry_point.value)
    for spec in env_plugins():
        import_reporting_failure(spec, source=ENV_VARIABLE)
