"""The ``derain-bench`` command line (one Typer app; one file per command)."""

from __future__ import annotations

from derainbench.cli.app import app, main

# Importing the command modules registers their commands on ``app``.
from derainbench.cli import (  # noqa: F401  isort: skip
    derain_command,
    demo_command,
    eval_command,
    leaderboard_command,
    list_command,
    train_command,
)

__all__ = ["app", "main"]
