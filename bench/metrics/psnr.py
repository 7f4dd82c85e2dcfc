"""Peak signal-to-noise ratio, per image."""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError


def psnr(pred: Tensor, target: Tensor, data_range: float) -> Tensor:
    """Per-image PSNR in dB, 10·log10(range²/MSE) over (C,H,W), float64, shape (B,).

    No epsilon is added to the MSE: identical images give +inf, which the evaluation reports.
    """
    if pred.shape != target.shape or pred.ndim != 4:
        raise DerainBenchError(
            f"psnr needs two (B, C, H, W) images of one shape, got {tuple(pred.shape)} "
            f"and {tuple(target.shape)}"
        )
    diff = pred.to(torch.float64) - target.to(torch.float64)
    mse = diff.square().flatten(1).mean(dim=1)
    # Division by a zero MSE gives inf and log10(inf) = inf: the honest answer, kept on purpose.
    return 10.0 * torch.log10(float(data_range) ** 2 / mse)
