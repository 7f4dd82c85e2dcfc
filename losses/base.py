"""What loss terms, objectives and penalties receive, and what a term declares it needs."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from derainbench.contracts import Discriminator, Judgement, Restoration

GENERATOR = "generator"
DISCRIMINATOR = "discriminator"


@dataclass
class TermInputs:
    """Everything a loss term may look at for one batch.

    In the generator step ``judgement`` is the discriminator on the restoration (with gradients
    to the generator) and ``real_judgement`` is None. In the discriminator step both are set and
    the restoration is detached.
    """

    rainy: Tensor
    clean: Tensor
    restoration: Restoration
    mask: Tensor | None = None
    judgement: Judgement | None = None
    real_judgement: Judgement | None = None


class LossTerm(nn.Module):
    """A weighted loss term of one player. ``needs`` names the auxiliary outputs it reads.

    Possible needs: ``attention`` / ``pyramid`` (from the generator), ``d_attention`` (from the
    discriminator), ``mask`` (from the dataset); see :mod:`derainbench.losses.compat`.
    ``player`` says whose loss it joins: the generator's (default) or the discriminator's.
    """

    needs: frozenset[str] = frozenset()
    player: str = GENERATOR

    def forward(self, inputs: TermInputs) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def mask_description(self, dataset_has_masks: bool) -> str | None:
        """Where the rain masks this term uses come from, in words (None: it uses none)."""
        return None


class Objective:
    """An adversarial objective: the discriminator's and the generator's loss on logits."""

    name: str = ""
    #: True when the critic's outputs are unbounded (WGAN): a recipe must then add a penalty
    #: whose ``enforces_lipschitz`` is True, or it is refused before training.
    needs_lipschitz: bool = False

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def generator_loss(self, fake: Tensor) -> Tensor:  # pragma: no cover
        raise NotImplementedError


class Penalty(nn.Module):
    """A regulariser of the discriminator, added to its loss; always computed in float32.

    Independent of the objective (the compare_gan split): any penalty goes with any objective.
    """

    #: Keeps the discriminator (softly) 1-Lipschitz, as objectives with ``needs_lipschitz`` need.
    enforces_lipschitz: bool = False
    #: Relies on per-sample gradients, which a discriminator with BatchNorm mixes across samples:
    #: such a pairing is refused before training.
    needs_independent_samples: bool = False

    def forward(
        self, discriminator: Discriminator, real_input: Tensor, fake_input: Tensor
    ) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError
