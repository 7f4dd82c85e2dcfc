"""Reference points that are not trained models."""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.contracts import Generator, Restoration


class InputAsOutput(Generator):
    """Returns the rainy image unchanged: the score of doing nothing, for context."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("anchor", torch.zeros(()), persistent=False)  # carries the device

    def forward(self, rainy: Tensor) -> Restoration:
        return Restoration(image=rainy)
