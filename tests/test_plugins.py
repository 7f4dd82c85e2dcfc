"""Plug-ins: entry points, DERAINBENCH_PLUGINS, --plugin; a broken one is reported and skipped."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from derainbench import plugins
from derainbench.plugins import PluginWarning
from derainbench.registries import GENERATORS

PLUGIN_SOURCE = textwrap.dedent(
    '''
    """A plug-in outside the package: one tiny generator."""
    import torch
    from derainbench.contracts import Generator, Restoration
    from derainbench.registries import GENERATORS


    class ResidualNet(Generator):
        def __init__(self, width: int = 4) -> None:
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Conv2d(3, width, 3, padding=1), torch.nn.ReLU(),
                torch.nn.Conv2d(width, 3, 3, padding=1),
            )

        def forward(self, rainy):
            return Restoration(image=rainy + self.body(rainy))


    @GENERATORS.register("{name}", paper="a test plug-in", native_range="[0, 1]")
    def build(width: int = 4) -> ResidualNet:
        return ResidualNet(width)
    '''
)


def write_plugin(folder: Path, module: str, generator_name: str) -> Path:
    path = folder / f"{module}.py"
    path.write_text(PLUGIN_SOURCE.replace("{name}", generator_name))
    return path


def test_environment_variable_plugin(tmp_path, monkeypatch, registry_snapshot) -> None:
    write_plugin(tmp_path, "env_plugin_mod", "env-net")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DERAINBENCH_PLUGINS", "env_plugin_mod")
    plugins.load_configured_plugins()
    assert "env-net" in GENERATORS
    assert GENERATORS.get("env-net").info.paper == "a test plug-in"


def test_plugin_given_as_a_file(tmp_path, registry_snapshot) -> None:
    path = write_plugin(tmp_path, "file_plugin", "file-net")
    assert plugins.load_plugin(str(path))
    assert "file-net" in GENERATORS


def test_broken_plugin_is_reported_and_skipped(tmp_path, monkeypatch, registry_snapshot) -> None:
    (tmp_path / "broken_plugin_mod.py").write_text("import a_module_that_does_not_exist\n")
    write_plugin(tmp_path, "good_plugin_mod", "good-net")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DERAINBENCH_PLUGINS", "broken_plugin_mod,good_plugin_mod")
    with pytest.warns(PluginWarning, match="broken_plugin_mod.*skipped.*ModuleNotFoundError"):
        plugins.load_configured_plugins()
    assert any(f.name == "broken_plugin_mod" for f in plugins.FAILURES)
    assert "good-net" in GENERATORS  # the rest keeps working
    assert "unet" in GENERATORS


def test_entry_point_plugins(tmp_path, monkeypatch, registry_snapshot) -> None:
    write_plugin(tmp_path, "ep_plugin_mod", "entry-net")
    (tmp_path / "ep_broken_mod.py").write_text("raise RuntimeError('plug-in bug')\n")
    dist = tmp_path / "fake_derain_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-derain-plugin\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(
        "[derainbench.plugins]\nentry = ep_plugin_mod\nbroken = ep_broken_mod\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginWarning, match="broken.*plug-in bug"):
        plugins.load_configured_plugins()
    assert "entry-net" in GENERATORS


def test_cli_plugin_trains_and_evaluates(tmp_path) -> None:
    """A generator from a module outside the package, trained one step through the CLI."""
    path = write_plugin(tmp_path, "cli_plugin", "cli-net")
    command = [
        sys.executable, "-m", "derainbench.cli", "--plugin", str(path),
        "train", "--generator", "cli-net", "--discriminator", "patchgan",
        "--train-data", "toyrain-sk:train", "--test-data", "toyrain-sk:test",
        "--steps", "1", "--crop", "32", "--device", "cpu",
        "--set", "discriminator.ndf=4", "--set", "data.train.n=2", "--set", "data.test.n=2",
        "--set", "data.train.size=40", "--set", "data.test.size=40",
        "--runs", str(tmp_path / "runs"), "--leaderboard", str(tmp_path / "board.csv"), "--json",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    board = (tmp_path / "board.csv").read_text()
    assert ",cli-net,patchgan," in board
    config = next((tmp_path / "runs").glob("*/config.toml")).read_text()
    assert str(path) in config  # recorded, so that eval and derain can load it again
