"""A trained (or imported) run read back: its configuration, checkpoint and generator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derainbench.config import ExperimentConfig, from_stored
from derainbench.contracts import Generator
from derainbench.devices import resolve_device
from derainbench.errors import DerainBenchError
from derainbench.plugins import load_plugin
from derainbench.training.checkpoint import load_checkpoint, load_weights
from derainbench.training.components import build_generator
from derainbench.training.runfolder import RunFolder


@dataclass
class TrainedRun:
    """A run folder's checkpoint: where it lives, what it was, how far it trained."""

    run: RunFolder
    config: ExperimentConfig
    state: dict[str, Any]
    checkpoint: Path

    @property
    def step(self) -> int:
        return int(self.state["step"])

    @property
    def config_hash(self) -> str:
        return self.state.get("config_hash") or self.config.hash


def read_run(checkpoint: Path | str) -> TrainedRun:
    """A run folder (or one of its checkpoint files) and its checkpoint, plug-ins reloaded."""
    path = Path(checkpoint)
    state = load_checkpoint(path)
    config = from_stored(state["config"])
    for plugin in config.run.plugins:
        load_plugin(plugin)
    run = RunFolder(path if path.is_dir() else path.parent.parent)
    return TrainedRun(run, config, state, run.checkpoint_path if path.is_dir() else path)


def load_run_generator(trained: TrainedRun, device: str = "auto") -> Generator:
    """The run's generator with its trained weights, on ``device``."""
    generator = build_generator(trained.config.generator)
    load_weights(generator, trained.state["generator"], "generator", trained.checkpoint)
    return generator.to(resolve_device(device))


def stored_configuration(run_dir: Path | str) -> ExperimentConfig:
    """The configuration a run folder holds: its checkpoint's, or, before its first checkpoint,
    its config.toml's; a folder with neither is one line."""
    run = RunFolder(Path(run_dir))
    if run.checkpoint_path.is_file():
        return from_stored(load_checkpoint(run.checkpoint_path)["config"])
    if run.config_path.is_file():
        return run.read_config()
    raise DerainBenchError(
        f"{run.root} holds no run to resume: neither {run.checkpoint_path.name} in "
        f"{run.checkpoint_path.parent} nor {run.config_path.name}"
    )
