"""The WGAN-GP gradient penalty (Gulrajani et al., 2017), and DeblurGAN's variant of it.

``variant="paper"`` (the default) follows the paper: one interpolation factor α ~ U(0, 1) per
sample, and the 2-norm of each sample's whole input gradient, penalised as (‖g‖₂ − 1)².
``variant="deblurgan"`` reproduces KupynOrest/DeblurGAN: ONE α for the whole batch, and the norm
over channels at each pixel, (‖g[:, :, y, x]‖₂ − 1)² averaged over samples and pixels.

A critic's value for a sample is the sum of its logits (for a patch critic, of its patches), as
the pix2pix and DeblurGAN code take it by back-propagating ones. For a conditional discriminator
the condition (the rainy image, the first channels of its input) is the same in both samples, so
only the image is interpolated and the gradient is taken with respect to the image alone.
Computed in float32 with autocast off, whatever the training precision.
"""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.contracts import Discriminator
from derainbench.errors import DerainBenchError
from derainbench.losses.base import Penalty
from derainbench.registries import PENALTIES

VARIANTS = ("paper", "deblurgan")
IMAGE_CHANNELS = 3  # discriminator_input() puts the image last: cat(rainy, image)


class GradientPenalty(Penalty):
    """(‖∇ D(x̂)‖₂ − 1)² at random interpolates x̂ of real and fake inputs."""

    #: Keeps the critic (softly) 1-Lipschitz: what the 'wgan' objective needs.
    enforces_lipschitz = True
    #: Per-sample gradient norms are meaningless when BatchNorm mixes the samples of a batch.
    needs_independent_samples = True

    def __init__(self, variant: str = "paper") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise DerainBenchError(
                f"unknown gradient-penalty variant '{variant}'; choose one of {', '.join(VARIANTS)}"
            )
        self.variant = variant

    def forward(
        self, discriminator: Discriminator, real_input: Tensor, fake_input: Tensor
    ) -> Tensor:
        with torch.autocast(real_input.device.type, enabled=False):
            return self._penalty(discriminator, real_input.detach(), fake_input.detach())

    def _penalty(self, discriminator: Discriminator, real: Tensor, fake: Tensor) -> Tensor:
        real, fake = real.float(), fake.float()
        batch = real.shape[0]
        shape = (batch, 1, 1, 1) if self.variant == "paper" else (1, 1, 1, 1)
        alpha = torch.rand(shape, device=real.device)
        condition = None
        if discriminator.conditional:
            condition = real[:, :-IMAGE_CHANNELS]
            real, fake = real[:, -IMAGE_CHANNELS:], fake[:, -IMAGE_CHANNELS:]
        image = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
        x = image if condition is None else torch.cat([condition, image], dim=1)
        logits = discriminator(x).logits.float()
        # create_graph: the penalty is itself differentiated with respect to the critic.
        (gradient,) = torch.autograd.grad(logits.sum(), image, create_graph=True)
        if self.variant == "paper":
            norms = gradient.flatten(1).norm(2, dim=1)  # one norm per sample
        else:
            norms = gradient.norm(2, dim=1)  # one norm per sample and pixel, over channels
        return (norms - 1.0).pow(2).mean()


@PENALTIES.register(
    "gradient-penalty",
    paper="Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017",
    applies_to="interpolates of real and fake samples",
    enforces_lipschitz=True,
    needs_independent_samples=True,
    description="(‖∇D(x̂)‖ − 1)²; variant 'paper' (default) or 'deblurgan'",
)
def gradient_penalty(variant: str = "paper") -> GradientPenalty:
    """WGAN-GP gradient penalty; ``variant="deblurgan"`` reproduces DeblurGAN's code."""
    return GradientPenalty(variant=variant)
