"""Pixel-wise reconstruction terms."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from derainbench.losses.base import LossTerm, TermInputs
from derainbench.registries import TERMS


class L1Term(LossTerm):
    """Mean absolute error between the restored and the clean image."""

    def __init__(self, signed_range: bool = False) -> None:
        super().__init__()
        # pix2pix measures L1 on images in [-1, 1], twice the value on [0, 1]; computing it in
        # that range keeps the paper's λ = 100 balanced against the adversarial loss as published.
        self.scale = 2.0 if signed_range else 1.0

    def forward(self, inputs: TermInputs) -> Tensor:
        return self.scale * F.l1_loss(inputs.restoration.image, inputs.clean)


@TERMS.register(
    "l1",
    needs=(),
    player="generator",
    description="mean absolute error to the clean image",
    paper="Isola et al., CVPR 2017 (λ = 100)",
)
def l1(signed_range: bool = False) -> L1Term:
    """L1 reconstruction loss; ``signed_range`` measures it on [-1, 1] as pix2pix does."""
    return L1Term(signed_range=signed_range)


class MSETerm(LossTerm):
    """Mean squared error between the restored and the clean image."""

    def __init__(self, signed_range: bool = False) -> None:
        super().__init__()
        # On [-1, 1] the squared error is four times its value on [0, 1].
        self.scale = 4.0 if signed_range else 1.0

    def forward(self, inputs: TermInputs) -> Tensor:
        return self.scale * F.mse_loss(inputs.restoration.image, inputs.clean)


@TERMS.register(
    "mse",
    needs=(),
    player="generator",
    description="mean squared error to the clean image",
    paper="the pixel-space form of the squared-error content losses (Ledig et al., CVPR 2017)",
)
def mse(signed_range: bool = False) -> MSETerm:
    """L2 reconstruction loss (the quantity PSNR measures); ``signed_range`` measures it on
    [-1, 1]."""
    return MSETerm(signed_range=signed_range)
