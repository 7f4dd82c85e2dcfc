"""What a checkpoint holds and a resume restores: the networks, their optimisers, schedulers and
loss scalers, the weight average, the best validation score and the random state."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from derainbench.config import ExperimentConfig
from derainbench.contracts import count_parameters
from derainbench.training.acceleration import Acceleration
from derainbench.training.checkpoint import load_weights
from derainbench.training.components import Components
from derainbench.training.ema import GeneratorAverage
from derainbench.training.precision import Precision
from derainbench.training.step import Optimizers
from derainbench.training.validation import Validator


@dataclass
class RunState:
    """Everything of a run that changes as it trains, with the records a checkpoint adds."""

    config: ExperimentConfig
    parts: Components
    optimizers: Optimizers
    schedulers: list[torch.optim.lr_scheduler.LambdaLR]
    precision: Precision
    #: The generator's weight average (rank 0 only; None when train.ema_decay is 0).
    average: GeneratorAverage | None
    #: Validation scores and the best of them (rank 0 only; None without validation data).
    validator: Validator | None
    fast: Acceleration
    processes: int
    #: How the attention loss's masks were obtained, recorded with the run.
    masks: str
    device: torch.device

    def weights_record(self, step: int, train_seconds: float) -> dict[str, Any]:
        """The generator's weights and what they are (a best.pt holds only this)."""
        return {
            "config": self.config.to_dict(),
            "config_hash": self.config.hash,
            "step": step,
            "total_steps": self.config.train.steps,
            "train_seconds": train_seconds,
            "generator": self.parts.generator.state_dict(),
            "parameters": {
                "generator": count_parameters(self.parts.generator),
                "discriminator": count_parameters(self.parts.discriminator),
            },
            "acceleration": dataclasses.asdict(self.fast),
            "processes": self.processes,
            "masks": self.masks,
        }

    def best_record(self, step: int, train_seconds: float) -> dict[str, Any]:
        """best.pt: the generator at its best validation score, and that score."""
        assert self.validator is not None
        best = self.validator.best.state_dict()
        return {**self.weights_record(step, train_seconds), "best": best}

    def full_record(self, step: int, train_seconds: float) -> dict[str, Any]:
        """last.pt: all a resume needs to continue as if never stopped."""
        discriminator, optimizers = self.parts.discriminator, self.optimizers
        cuda = self.device.type == "cuda"
        return {
            **self.weights_record(step, train_seconds),
            "generator_ema": self.average.state_dict() if self.average is not None else {},
            "best": self.validator.best.state_dict() if self.validator is not None else None,
            "discriminator": discriminator.state_dict() if discriminator is not None else {},
            "optimizers": {
                "generator": optimizers.generator.state_dict(),
                "discriminator": (
                    optimizers.discriminator.state_dict() if optimizers.discriminator else {}
                ),
            },
            "schedulers": [s.state_dict() for s in self.schedulers],
            "scalers": self.precision.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if cuda else [],
            },
        }

    def restore(self, state: dict[str, Any], source: Path) -> tuple[int, float]:
        """Load a last.pt ``state`` (read from ``source``) back; its step and training seconds."""
        parts, optimizers = self.parts, self.optimizers
        load_weights(parts.generator, state["generator"], "generator", source)
        if parts.discriminator is not None:
            load_weights(parts.discriminator, state["discriminator"], "discriminator", source)
            optimizers.discriminator.load_state_dict(state["optimizers"]["discriminator"])
        optimizers.generator.load_state_dict(state["optimizers"]["generator"])
        for scheduler, saved in zip(self.schedulers, state["schedulers"], strict=True):
            scheduler.load_state_dict(saved)
        self.precision.load_state_dict(state.get("scalers", {}))
        torch.set_rng_state(state["rng"]["torch"])
        if self.device.type == "cuda" and state["rng"].get("cuda"):
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        step = state["step"]
        if self.average is not None and state.get("generator_ema"):
            self.average.load_state_dict(state["generator_ema"])
        if self.validator is not None:
            self.validator.restore(state.get("best"), step)
        return step, state["train_seconds"]
