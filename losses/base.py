"""What a loss term receives and what it declares it needs."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from derainbench.contracts import Judgement, Restoration


@dataclass
class TermInputs:
    """Everything a generator loss term may look at for one batch."""

    rainy: Tensor
    clean: Tensor
    restoration: Restoration
    mask: Tensor | None = None
    judgement: Judgement | None = None  # the discriminator on the restored image


class LossTerm(nn.Module):
    """A generator loss term. ``needs`` names the auxiliary outputs it reads.

    Possible needs: ``attention`` / ``pyramid`` (from the generator), ``d_attention`` (from the
    discriminator), ``mask`` (from the dataset). See :mod:`derainbench.losses.compat`.
    """

    needs: frozenset[str] = frozenset()

    def forward(self, inputs: TermInputs) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class Objective:
    """An adversarial objective: the discriminator's and the generator's loss on logits."""

    name: str = ""

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def generator_loss(self, fake: Tensor) -> Tensor:  # pragma: no cover
        raise NotImplementedError
