"""Imports follow the data flow: a layer imports only itself and the layers below it.

    foundation   contracts, registry, registries, config, errors, plugins, seeding, imaging,
                 devices, recipes: the plug-in API
    components   models/, losses/, datasets/, metrics/ (registered parts)
    evaluation   restore and score a generator on a dataset
    training     compose the parts of a configuration, step, loop, checkpoints, run folders
    reporting    leaderboard store, views, statistics, plots
    experiments  compose → train → evaluate → record; ablations; the demo; the Python API
    benchmarks   speed and memory measurements (profile, the GPU check), the original networks
    cli          one file per command (and ``derainbench.__main__``, its entry point)

Evaluation sits below training because training evaluates (sample grids, and validation
scores) while evaluating a *run* needs its checkpoint, which the experiments layer reads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"bench": "derainbench", "models": "derainbench.models",
         "losses": "derainbench.losses", "datasets": "derainbench.datasets"}  # fmt: skip
LAYERS = {
    "derainbench.models": 1,
    "derainbench.losses": 1,
    "derainbench.datasets": 1,
    "derainbench.metrics": 1,
    "derainbench.evaluation": 2,
    "derainbench.training": 3,
    "derainbench.reporting": 4,
    "derainbench.experiments": 5,
    "derainbench.benchmarks": 6,
    "derainbench.cli": 7,
    "derainbench.__main__": 7,  # ``python -m derainbench``: the command line's entry point
}
NAMES = {0: "foundation", 1: "components", 2: "evaluation", 3: "training", 4: "reporting",
         5: "experiments", 6: "benchmarks", 7: "cli"}  # fmt: skip


def layer(module: str) -> int:
    """The layer of a derainbench module: its subpackage's, or the foundation's."""
    for prefix, rank in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return 0


def source_modules() -> dict[str, Path]:
    modules = {}
    for folder, package in ROOTS.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            modules[".".join((package, *parts))] = path
    return modules


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported(path: Path, module: str) -> set[str]:
    """Every derainbench module ``path`` imports, at any depth (function-level too), except
    under ``if TYPE_CHECKING``."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name == "derainbench" or name.startswith("derainbench.")}


MODULES = source_modules()


def test_the_layers_cover_the_source_tree() -> None:
    assert "derainbench.experiments.runner" in MODULES and "derainbench.datasets.build" in MODULES
    assert all(name.startswith("derainbench") for name in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_layer_and_those_below(module: str) -> None:
    if module == "derainbench":
        return  # the package's lazy API facade imports nothing at import time
    upward = [
        name
        for name in sorted(imported(MODULES[module], module))
        if name != "derainbench" and layer(name) > layer(module)
    ]
    assert not upward, (
        f"{module} ({NAMES[layer(module)]}) imports from a higher layer: "
        + ", ".join(f"{name} ({NAMES[layer(name)]})" for name in upward)
    )


def test_the_component_layers_never_reach_up() -> None:
    """datasets/, models/ and losses/ import nothing from training, evaluation, reporting,
    experiments or the command line (the direction the design names)."""
    higher = ("training", "evaluation", "reporting", "experiments", "cli", "benchmarks")
    for module, path in MODULES.items():
        if layer(module) == 1:
            for name in imported(path, module):
                assert not any(name.startswith(f"derainbench.{h}") for h in higher), (module, name)


def test_the_top_of_bench_holds_the_plugin_api_only() -> None:
    top = sorted(p.name for p in (REPO / "bench").glob("*.py"))
    assert len(top) <= 10, top
