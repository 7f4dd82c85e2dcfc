"""Penalties on the discriminator that need no pairing with a particular objective."""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.contracts import Discriminator
from derainbench.losses.base import Penalty
from derainbench.registries import PENALTIES


class R1Penalty(Penalty):
    """R1 (Mescheder et al., 2018): mean over samples of ‖∇ₓ D(x_real)‖², halved.

    The γ/2 of the paper is the recipe's weight times this value (this term already includes ½).
    """

    def forward(
        self, discriminator: Discriminator, real_input: Tensor, fake_input: Tensor
    ) -> Tensor:
        real = real_input.detach().float().requires_grad_(True)
        logits = discriminator(real).logits.float()
        (gradient,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
        return 0.5 * gradient.pow(2).flatten(1).sum(1).mean()


@PENALTIES.register(
    "r1",
    paper="Mescheder et al., Which Training Methods for GANs do actually Converge?, ICML 2018",
    applies_to="real samples",
    description="½‖∇ D(real)‖², averaged over samples",
)
def r1() -> R1Penalty:
    """R1 gradient penalty on real samples."""
    return R1Penalty()
