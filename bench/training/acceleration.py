"""Putting a run's networks on its device the fast way: memory layout, torch.compile, fused
optimizers. None of it changes what is computed beyond floating-point rounding."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from derainbench.config import ExperimentConfig
from derainbench.errors import ConfigError
from derainbench.training.components import Components
from derainbench.training.precision import resolve_precision
from derainbench.training.step import Optimizers


@dataclass(frozen=True)
class Acceleration:
    """What a run actually uses on its device (recorded in checkpoints and leaderboard rows)."""

    precision: str
    channels_last: bool
    compile: bool
    fused_optimizer: bool
    activation_checkpointing: bool = False

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format


def fused_adam_available(device: torch.device) -> bool:
    """Whether Adam's fused kernel runs on ``device`` (CPU and CUDA in recent torch)."""
    try:
        torch.optim.Adam([nn.Parameter(torch.zeros(1, device=device))], fused=True)
    except (RuntimeError, ValueError, TypeError):
        return False
    return True


def acceleration(config: ExperimentConfig, device: torch.device) -> Acceleration:
    """The precision, memory layout, compilation and optimizer kernel ``config`` asks for."""
    channels_last = config.run.channels_last
    if channels_last == "auto":
        channels_last = device.type == "cuda"
    return Acceleration(
        precision=resolve_precision(config.run.precision, device),
        channels_last=bool(channels_last),
        compile=config.run.compile,
        fused_optimizer=fused_adam_available(device),
        activation_checkpointing=config.run.activation_checkpointing,
    )


def place(parts: Components, device: torch.device, fast: Acceleration) -> None:
    """Move the networks (and the loss terms' networks) to ``device`` in the chosen layout, in
    train mode, compiled when asked (in place: weights and checkpoint keys stay the same)."""
    if fast.activation_checkpointing:
        if not parts.generator.supports_activation_checkpointing:
            raise ConfigError(
                f"run.activation_checkpointing: generator {type(parts.generator).__name__} "
                f"does not support it (the attentive generator does)"
            )
        parts.generator.set_activation_checkpointing(True)
    networks = [parts.generator, *([parts.discriminator] if parts.discriminator else [])]
    for network in networks:
        network.to(device=device, memory_format=fast.memory_format).train()
        if fast.compile:
            network.compile()
    for term in parts.terms:
        term.module.to(device=device, memory_format=fast.memory_format)


def make_optimizers(parts: Components, config: ExperimentConfig, fast: Acceleration) -> Optimizers:
    """Adam for each network as the configuration says, with the fused kernel where there is
    one (the same update, in one pass over the parameters instead of several)."""
    settings = config.optimizer
    betas = (settings.betas[0], settings.betas[1])
    extra = {"fused": True} if fast.fused_optimizer else {}

    def adam(network: nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(network.parameters(), lr=lr, betas=betas, **extra)

    generator = adam(parts.generator, settings.generator_lr)
    discriminator = None
    if parts.discriminator is not None:
        discriminator = adam(parts.discriminator, settings.discriminator_lr)
    return Optimizers(generator, discriminator)
