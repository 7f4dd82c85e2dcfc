"""Learning-rate schedules, as multipliers of the base rate per step."""

from __future__ import annotations

from collections.abc import Callable

from derainbench.errors import DerainBenchError

SCHEDULES = ("constant", "constant-then-linear")


def lr_multiplier(schedule: str, total_steps: int, decay_start: float) -> Callable[[int], float]:
    """``constant``, or ``constant-then-linear``: pix2pix's rule with steps for epochs.

    With ``start = decay_start · total_steps``, step s (1-based) uses
    ``1 - max(0, s - start) / (total_steps - start + 1)``: 1 up to ``start``, then a linear
    decay that ends one notch above zero, as the original's 100 + 100 epochs do. The argument of
    the returned function is the 0-based step index (what ``LambdaLR`` passes).
    """
    if schedule == "constant":
        return lambda index: 1.0
    if schedule == "constant-then-linear":
        start = round(decay_start * total_steps)
        span = total_steps - start + 1
        return lambda index: 1.0 - max(0, index + 1 - start) / span
    raise DerainBenchError(f"unknown schedule '{schedule}'; choose one of {', '.join(SCHEDULES)}")


def with_warmup_rate(
    multiplier: Callable[[int], float], warmup_steps: int, ratio: float
) -> Callable[[int], float]:
    """``multiplier`` with the first ``warmup_steps`` steps scaled by ``ratio`` (the warm-up
    rate over the base rate): a pixel-loss warm-up at its own rate, then the schedule."""
    if warmup_steps <= 0 or ratio == 1.0:
        return multiplier
    return lambda index: multiplier(index) * (ratio if index < warmup_steps else 1.0)
