"""``check-plugin`` runs the registry contract on a plug-in's models: what it finds in broken
ones, and that every built-in model passes the same checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import derainbench as db
from derainbench.cli import app
from derainbench.errors import DerainBenchError
from derainbench.experiments.plugin_check import discriminator_problems, generator_problems
from derainbench.registries import DISCRIMINATORS, GENERATORS, load_components

PLUGIN = Path(__file__).parent / "data" / "contract_plugin.py"
load_components()


@pytest.mark.parametrize("name", GENERATORS.names())
def test_every_built_in_generator_keeps_the_contract(name: str) -> None:
    assert generator_problems(name) == []


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_every_built_in_discriminator_keeps_the_contract(name: str) -> None:
    assert discriminator_problems(name) == []


def test_a_plugin_is_checked_model_by_model(registry_snapshot) -> None:
    reports = {report.name: report for report in db.check_plugin(str(PLUGIN))}
    assert sorted(reports) == ["bare-net", "good-net", "prob-d"]
    assert reports["good-net"].passed
    assert reports["bare-net"].problems == [
        "multiple_of is 4 but the record says 8",
        "forward returns a Tensor, not a Restoration",
    ]
    assert reports["prob-d"].problems == [
        "ends in a sigmoid: return logits (the objectives apply their own)"
    ]


def test_the_command_lists_problems_and_exits_2(registry_snapshot) -> None:
    result = CliRunner().invoke(app, ["check-plugin", str(PLUGIN)])
    assert result.exit_code == 2
    assert "generator 'good-net': passes" in result.stdout
    assert "  - forward returns a Tensor, not a Restoration" in result.stdout
    assert result.stderr.strip() == (
        "error: 2 of 3 component(s) break the contract: bare-net, prob-d"
    )


def test_a_plugin_that_does_not_load_or_registers_nothing_is_one_line(
    registry_snapshot, tmp_path
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module\n", encoding="utf-8")
    with pytest.raises(DerainBenchError, match="did not load: ModuleNotFoundError"):
        db.check_plugin(str(broken))
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(DerainBenchError, match="registers no generator or discriminator"):
        db.check_plugin(str(empty))
