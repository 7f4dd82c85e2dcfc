"""A trained (or imported) run read back: its configuration, checkpoint and generator.

A run offers up to three generators (``--checkpoint``): ``last`` (the weights at the last step),
``best`` (at the best validation score, checkpoints/best.pt) and ``ema`` (the moving average of
the weights at the last step, kept in last.pt).
"""

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

CHECKPOINTS = ("last", "best", "ema")


@dataclass
class TrainedRun:
    """A run folder's checkpoint: where it lives, what it was, how far it trained."""

    run: RunFolder
    config: ExperimentConfig
    state: dict[str, Any]
    checkpoint: Path
    #: Which generator: "last", "best" or "ema".
    which: str = "last"

    @property
    def step(self) -> int:
        return int(self.state["step"])

    @property
    def label(self) -> str:
        """Which weights, at which step (``ema@300``): a leaderboard row records it."""
        return f"{self.which}@{self.step}"

    @property
    def config_hash(self) -> str:
        return self.state.get("config_hash") or self.config.hash


def read_run(checkpoint: Path | str, which: str = "last") -> TrainedRun:
    """A run folder (or one of its checkpoint files) and the checkpoint ``which`` names,
    plug-ins reloaded; a checkpoint the run does not have is one line."""
    if which not in CHECKPOINTS:
        raise DerainBenchError(f"unknown checkpoint '{which}'; choose {', '.join(CHECKPOINTS)}")
    path = Path(checkpoint)
    folder = RunFolder(path if path.is_dir() else path.parent.parent)
    if path.is_dir():
        path = folder.best_checkpoint_path if which == "best" else folder.checkpoint_path
        if which == "best" and not path.is_file() and folder.checkpoint_path.is_file():
            raise DerainBenchError(
                f"{folder.root} has no best checkpoint: it was trained without validation data"
            )
    state = load_checkpoint(path)
    if which == "ema" and not state.get("generator_ema"):
        raise DerainBenchError(f"{path} holds no weight average (train.ema_decay was 0)")
    config = from_stored(state["config"])
    for plugin in config.run.plugins:
        load_plugin(plugin)
    return TrainedRun(folder, config, state, path, which)


def load_run_generator(trained: TrainedRun, device: str = "auto") -> Generator:
    """The run's generator with the weights its checkpoint names, on ``device``."""
    generator = build_generator(trained.config.generator)
    key = "generator_ema" if trained.which == "ema" else "generator"
    load_weights(generator, trained.state[key], "generator", trained.checkpoint)
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
