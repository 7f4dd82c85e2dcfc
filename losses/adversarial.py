"""Adversarial objectives on raw logits (penalties such as R1 or gradient penalty are separate)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.losses.base import Objective
from derainbench.registries import OBJECTIVES


class VanillaObjective(Objective):
    """Binary cross-entropy on logits against labels 1 (real) and 0 (fake), no smoothing.

    The generator minimises BCE(D(fake), 1), the non-saturating form pix2pix trains with; with
    ``saturating`` it minimises log(1 − D(fake)) = −BCE(D(fake), 0), the form of the original
    GAN paper and of Attentive GAN's equation.
    """

    name = "vanilla"

    def __init__(self, saturating: bool = False) -> None:
        self.saturating = saturating

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))

    def generator_loss(self, fake: Tensor) -> Tensor:
        if self.saturating:
            return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


class LeastSquaresObjective(Objective):
    """LSGAN (Mao et al., 2017): mean squared error of the logits to the labels 1 and 0."""

    name = "lsgan"

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))

    def generator_loss(self, fake: Tensor) -> Tensor:
        return F.mse_loss(fake, torch.ones_like(fake))


@OBJECTIVES.register(
    "vanilla",
    paper="Goodfellow et al., 2014 (non-saturating generator loss); pix2pix's 'vanilla'",
    discriminator_loss="BCE(D(real), 1) + BCE(D(fake), 0)",
    generator_loss="BCE(D(fake), 1); with saturating=true: log(1 − D(fake))",
)
def vanilla(saturating: bool = False) -> VanillaObjective:
    """GAN loss as binary cross-entropy on logits (non-saturating generator loss by default)."""
    return VanillaObjective(saturating=saturating)


@OBJECTIVES.register(
    "lsgan",
    paper="Mao et al., Least Squares Generative Adversarial Networks, ICCV 2017",
    discriminator_loss="(D(real) - 1)² + D(fake)²",
    generator_loss="(D(fake) - 1)²",
)
def lsgan() -> LeastSquaresObjective:
    """Least-squares GAN loss on logits."""
    return LeastSquaresObjective()
