"""Optional weight-free metrics from piq, as extra leaderboard columns (``--extra NAME``).

They score the same 8-bit images as the protocols (RGB, [0, 1]). None of them is part of a named
protocol, and none needs downloaded weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from derainbench.errors import UnknownNameError
from derainbench.imaging import from_uint8, to_uint8

MS_SSIM_MIN_SIDE = 161  # five scales of an 11-px window: (11 − 1) · 2⁴ + 1


def _ms_ssim(pred: Tensor, target: Tensor) -> Tensor:
    import piq

    if min(pred.shape[-2:]) < MS_SSIM_MIN_SIDE:  # too small for five scales: no value
        return torch.full((pred.shape[0],), math.nan, dtype=torch.float64)
    return piq.multi_scale_ssim(pred, target, data_range=1.0, reduction="none")


def _gmsd(pred: Tensor, target: Tensor) -> Tensor:
    import piq

    return piq.gmsd(pred, target, data_range=1.0, reduction="none")


def _fsim(pred: Tensor, target: Tensor) -> Tensor:
    import piq

    return piq.fsim(pred, target, data_range=1.0, reduction="none", chromatic=True)


EXTRA_METRICS: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], str]] = {
    "ms_ssim": (_ms_ssim, "higher is better; images of at least 161 px"),
    "gmsd": (_gmsd, "lower is better"),
    "fsim": (_fsim, "higher is better (FSIMc)"),
}


def extra_scorer(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """A per-image (B,) float64 scorer of float [0, 1] RGB images, on their 8-bit versions."""
    if name not in EXTRA_METRICS:
        raise UnknownNameError(
            f"unknown extra metric '{name}'; choose from {', '.join(EXTRA_METRICS)}"
        )
    function = EXTRA_METRICS[name][0]

    def score(pred: Tensor, target: Tensor) -> Tensor:
        pred, target = from_uint8(to_uint8(pred)), from_uint8(to_uint8(target))
        with torch.no_grad():
            return function(pred, target).to(torch.float64).flatten()

    return score
