"""``derain-bench check-plugin``: the registry contract run on a plug-in's models."""

from __future__ import annotations

from typing import Annotated

import typer

from derainbench.cli.app import command, console
from derainbench.errors import DerainBenchError


@command("check-plugin")
def check_plugin_command(
    plugin: Annotated[str, typer.Argument(help="A plug-in: a module path or a .py file.")],
) -> None:
    """Load a plug-in and run the registry contract on every generator and discriminator it
    registers: record against instance, output types and shapes, gradients to every parameter,
    logits not probabilities, deterministic eval mode. Exit status 2 if any check fails."""
    import derainbench as db

    reports = db.check_plugin(plugin)
    for report in reports:
        verdict = "[green]passes[/]" if report.passed else "[red]fails[/]"
        console.print(f"{report.kind} '{report.name}': {verdict}")
        for problem in report.problems:
            console.print(f"  - {problem}", highlight=False)
    failed = [r.name for r in reports if not r.passed]
    if failed:
        raise DerainBenchError(
            f"{len(failed)} of {len(reports)} component(s) break the contract: " + ", ".join(failed)
        )
