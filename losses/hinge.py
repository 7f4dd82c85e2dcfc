"""The hinge objective (Lim & Ye 2017; Miyato et al. 2018; BigGAN) on raw logits."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from derainbench.losses.base import Objective
from derainbench.registries import OBJECTIVES


class HingeObjective(Objective):
    """Discriminator: mean relu(1 − D(real)) + mean relu(1 + D(fake)); generator: −mean D(fake)."""

    name = "hinge"

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def generator_loss(self, fake: Tensor) -> Tensor:
        return -fake.mean()


@OBJECTIVES.register(
    "hinge",
    paper="Lim & Ye, Geometric GAN, 2017; Miyato et al., Spectral Normalization, ICLR 2018",
    discriminator_loss="relu(1 − D(real)) + relu(1 + D(fake))",
    generator_loss="−D(fake)",
)
def hinge() -> HingeObjective:
    """Hinge GAN loss on logits (margin 1)."""
    return HingeObjective()
