"""The ``derain-bench`` command line: one Typer app, one ``*_command.py`` file per command."""

from __future__ import annotations

import importlib
import pkgutil

from derainbench.cli.app import app, main

# Importing the command modules registers their commands on ``app``.
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    if _info.name.endswith("_command"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["app", "main"]
