"""Reference points that are not trained models."""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.contracts import Generator, Restoration

#: The run id (and recipe and configuration hash) of the leaderboard rows that score the
#: untouched rainy input: one per test set, protocol and evaluation options.
RAINY_INPUT = "rainy-input"


class InputAsOutput(Generator):
    """Returns the rainy image unchanged: the score of doing nothing, for context."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("anchor", torch.zeros(()), persistent=False)  # carries the device

    def forward(self, rainy: Tensor) -> Restoration:
        return Restoration(image=rainy)
