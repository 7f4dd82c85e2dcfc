"""Attentive GAN's multi-scale loss: each side output against the clean image at its size."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.contracts import PYRAMID
from derainbench.errors import DerainBenchError
from derainbench.losses.base import LossTerm, TermInputs
from derainbench.registries import TERMS

#: λ for the 1/4 and 1/2 side outputs and the full-size image.
PAPER_WEIGHTS = (0.6, 0.8, 1.0)


class MultiScaleTerm(LossTerm):
    """Σ_i λ_i · MSE(S_i, T resized to S_i): the pyramid's outputs (coarse → fine), then the image.

    The target is shrunk by area averaging (a box filter; for the 1/4 and 1/2 scales exactly a
    4×4 or 2×2 mean). The paper does not say how T was resized: a documented choice.
    """

    needs = frozenset({PYRAMID})

    def __init__(self, weights: tuple[float, ...] = PAPER_WEIGHTS) -> None:
        super().__init__()
        self.weights = tuple(float(w) for w in weights)

    def forward(self, inputs: TermInputs) -> Tensor:
        pyramid = inputs.restoration.pyramid or []
        outputs = [*pyramid, inputs.restoration.image]
        if len(outputs) != len(self.weights):
            raise DerainBenchError(
                f"multiscale: {len(self.weights)} weights for {len(outputs)} outputs (the "
                f"generator's {len(pyramid)} side outputs and its image)"
            )
        total = outputs[-1].new_zeros((), dtype=torch.float32)
        for weight, output in zip(self.weights, outputs, strict=True):
            target = inputs.clean
            if output.shape[-2:] != target.shape[-2:]:
                target = F.interpolate(target, size=output.shape[-2:], mode="area")
            total = total + weight * F.mse_loss(output.float(), target.float())
        return total


@TERMS.register(
    "multiscale",
    needs=(PYRAMID,),
    player="generator",
    description="Σ λ_i·MSE(S_i, T at S_i's size) over the side outputs and the image",
    paper="Qian et al., CVPR 2018 (scales 1/4, 1/2, 1; λ = 0.6, 0.8, 1.0)",
)
def multiscale(weights: list[float] | None = None) -> MultiScaleTerm:
    """Multi-scale loss; ``weights`` λ for the side outputs (coarse → fine) then the image
    (None: the paper's 0.6, 0.8, 1.0)."""
    return MultiScaleTerm(PAPER_WEIGHTS if weights is None else tuple(weights))
