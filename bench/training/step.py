"""One adversarial training step, for any generator × discriminator × objective × terms.

Read top to bottom: the generator restores the batch once; the discriminator learns from that
restoration (detached) and the clean image; then, with the discriminator frozen, the generator
learns from the adversarial loss and the weighted loss terms. Nothing here looks at a model's
name: what differs between models is carried by their metadata (``conditional``, ``provides``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from derainbench.contracts import discriminator_input
from derainbench.errors import DerainBenchError
from derainbench.losses.base import TermInputs
from derainbench.training.components import Components


class NonFiniteLossError(DerainBenchError):
    """A loss became NaN or infinite; the run stops before the bad update is saved."""


@dataclass
class Optimizers:
    """One optimizer per network (never shared: G and D have separate learning dynamics)."""

    generator: torch.optim.Optimizer
    discriminator: torch.optim.Optimizer | None


@dataclass
class Weights:
    """How much the adversarial losses count."""

    generator_adversarial: float = 1.0
    discriminator: float = 1.0


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    """Freeze or unfreeze every parameter of ``module``."""
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


@contextlib.contextmanager
def batchnorm_statistics_frozen(module: nn.Module) -> Iterator[None]:
    """Run ``module`` in train mode without letting this batch update its BatchNorm statistics.

    The generator step shows the discriminator a fake-only batch; it must not shift the
    discriminator's running statistics (design note in losses.md).
    """
    # Point the layers at copies for the duration, then put the originals back: writing the old
    # values into the buffers in place would break the autograd graph that saved them.
    layers = [
        m
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    names = ("running_mean", "running_var", "num_batches_tracked")
    saved = [(m, [getattr(m, n) for n in names]) for m in layers]
    for m, tensors in saved:
        for name, tensor in zip(names, tensors, strict=True):
            setattr(m, name, tensor.clone())
    try:
        yield
    finally:
        for m, tensors in saved:
            for name, tensor in zip(names, tensors, strict=True):
                setattr(m, name, tensor)


def _checked(name: str, value: Tensor, step: int) -> Tensor:
    if not math.isfinite(value.item()):
        raise NonFiniteLossError(f"loss '{name}' became {value.item()} at step {step}")
    return value


def train_step(
    parts: Components,
    optimizers: Optimizers,
    weights: Weights,
    rainy: Tensor,
    clean: Tensor,
    step: int,
    mask: Tensor | None = None,
) -> dict[str, float]:
    """One discriminator update then one generator update; returns the losses for the log."""
    generator, discriminator = parts.generator, parts.discriminator
    losses: dict[str, float] = {}
    restoration = generator(rainy)

    # Discriminator: real pairs towards "real", the (detached) restoration towards "fake".
    if discriminator is not None and optimizers.discriminator is not None:
        set_requires_grad(discriminator, True)
        real = discriminator(discriminator_input(discriminator, rainy, clean))
        fake = discriminator(discriminator_input(discriminator, rainy, restoration.image.detach()))
        loss_d = weights.discriminator * parts.objective.discriminator_loss(
            real.logits, fake.logits
        )
        _checked("discriminator", loss_d, step)
        optimizers.discriminator.zero_grad(set_to_none=True)
        loss_d.backward()
        optimizers.discriminator.step()
        losses["d"] = loss_d.item()

    # Generator: fool the frozen discriminator, plus the weighted loss terms.
    judgement = None
    loss_g = rainy.new_zeros(())
    if discriminator is not None:
        set_requires_grad(discriminator, False)
        with batchnorm_statistics_frozen(discriminator):
            judgement = discriminator(discriminator_input(discriminator, rainy, restoration.image))
        adversarial = weights.generator_adversarial * parts.objective.generator_loss(
            judgement.logits
        )
        losses["g_adv"] = _checked("adversarial", adversarial, step).item()
        loss_g = loss_g + adversarial
    inputs = TermInputs(rainy, clean, restoration, mask=mask, judgement=judgement)
    for term in parts.terms:
        value = term.weight * term.module(inputs)
        losses[f"g_{term.name}"] = _checked(term.name, value, step).item()
        loss_g = loss_g + value
    optimizers.generator.zero_grad(set_to_none=True)
    loss_g.backward()
    optimizers.generator.step()
    losses["g"] = loss_g.item()
    return losses
