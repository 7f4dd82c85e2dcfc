"""An exponential moving average of the generator's weights (timm's ``ModelEmaV3``), kept
beside the training weights, saved with every checkpoint and evaluated as the ``ema``
checkpoint. Warmed up: the decay at step t is min(decay, 1 − (1 + t)^(−2/3)), so that a short
run's average is not dominated by its random initialisation."""

from __future__ import annotations

from typing import Any

from torch import nn


class GeneratorAverage:
    """The average of a generator's weights; ``module`` is a network to evaluate."""

    def __init__(self, generator: nn.Module, decay: float) -> None:
        from timm.utils import ModelEmaV3  # imported when a run averages, not at import time

        self._ema = ModelEmaV3(generator, decay=decay, use_warmup=True)
        self._ema.module.eval()

    @property
    def module(self) -> nn.Module:
        return self._ema.module

    def update(self, generator: nn.Module, step: int) -> None:
        """Fold the generator's weights after ``step`` into the average."""
        self._ema.update(generator, step=step)

    def state_dict(self) -> dict[str, Any]:
        return self._ema.module.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._ema.module.load_state_dict(state)


def generator_average(generator: nn.Module, decay: float) -> GeneratorAverage | None:
    """The average the configuration asks for (None for a decay of 0)."""
    return GeneratorAverage(generator, decay) if decay > 0 else None
