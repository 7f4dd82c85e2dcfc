"""Optional weight-free scores from piq, as extra leaderboard columns (``--extra NAME``).

They score the same 8-bit images as the protocols (RGB, [0, 1]). None of them is part of a named
protocol, and none needs downloaded weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from derainbench.errors import UnknownNameError
from derainbench.imaging import from_uint8, to_uint8
from derainbench.metrics.scores import ScoreFunction, get_score, register_score
from derainbench.registries import SCORES

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


register_score(
    "ms_ssim",
    higher_is_better=True,
    digits=4,
    source="extra",
    description="multi-scale SSIM (piq), empty for images under 161 px",
    paper="Wang et al., Multi-Scale Structural Similarity, Asilomar 2003",
    compute=_ms_ssim,
)
register_score(
    "gmsd",
    higher_is_better=False,
    digits=4,
    source="extra",
    description="gradient magnitude similarity deviation (piq)",
    paper="Xue et al., Gradient Magnitude Similarity Deviation, TIP 2014",
    compute=_gmsd,
)
register_score(
    "fsim",
    higher_is_better=True,
    digits=4,
    source="extra",
    description="feature similarity, chromatic FSIMc (piq)",
    paper="Zhang et al., FSIM: A Feature Similarity Index for Image Quality Assessment, TIP 2011",
    compute=_fsim,
)


def extra_names() -> list[str]:
    """The scores ``--extra`` accepts."""
    return [name for name in SCORES.names() if SCORES.get(name).info.source == "extra"]


def extra_scorer(name: str) -> ScoreFunction:
    """A per-image (B,) float64 scorer of float [0, 1] RGB images, on their 8-bit versions."""
    if name not in SCORES or SCORES.get(name).info.source != "extra":
        raise UnknownNameError(
            f"unknown extra score '{name}'; choose from {', '.join(extra_names())}"
        )
    function = get_score(name).compute
    assert function is not None  # every extra score carries its function

    def score(pred: Tensor, target: Tensor) -> Tensor:
        pred, target = from_uint8(to_uint8(pred)), from_uint8(to_uint8(target))
        with torch.no_grad():
            return function(pred, target).to(torch.float64).flatten()

    return score
