"""The Wasserstein objective (Arjovsky et al., 2017) on raw critic outputs.

It is meaningful only with a Lipschitz constraint on the critic; derainbench pairs it with the
``gradient-penalty`` penalty (WGAN-GP) and refuses, before training, a recipe that gives the
objective none (see ``needs_lipschitz`` and :mod:`derainbench.training.components`).
"""

from __future__ import annotations

from torch import Tensor

from derainbench.losses.base import Objective
from derainbench.registries import OBJECTIVES


class WassersteinObjective(Objective):
    """Critic: mean D(fake) − mean D(real); generator: −mean D(fake). Means over every logit."""

    name = "wgan"
    #: Unbounded critic outputs: training diverges unless something keeps the critic Lipschitz.
    needs_lipschitz = True

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return fake.mean() - real.mean()

    def generator_loss(self, fake: Tensor) -> Tensor:
        return -fake.mean()


@OBJECTIVES.register(
    "wgan",
    paper="Arjovsky et al., Wasserstein GAN, ICML 2017; with Gulrajani et al.'s gradient "
    "penalty (NeurIPS 2017) as DeblurGAN trains",
    discriminator_loss="mean D(fake) − mean D(real)",
    generator_loss="−mean D(fake)",
    needs_lipschitz=True,
    notes=("needs a Lipschitz constraint: penalty 'gradient-penalty'",),
)
def wgan() -> WassersteinObjective:
    """Wasserstein critic loss; needs penalty 'gradient-penalty' (WGAN-GP)."""
    return WassersteinObjective()
