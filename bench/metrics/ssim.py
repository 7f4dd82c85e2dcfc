"""Structural similarity (Wang et al. 2004), per image, valid window, no downsampling."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from derainbench.errors import DerainBenchError

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5
K1 = 0.01
K2 = 0.03


def gaussian_window(size: int = WINDOW_SIZE, sigma: float = WINDOW_SIGMA) -> Tensor:
    """Normalised 1-D Gaussian window (float64); the 2-D window is its outer product."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2.0
    window = torch.exp(-0.5 * (x / sigma) ** 2)
    return window / window.sum()


def _filter_valid(x: Tensor, window: Tensor) -> Tensor:
    """Separable depthwise 'valid' filtering of every channel of ``x`` with ``window``."""
    channels = x.shape[1]
    taps = window.numel()
    vertical = window.view(1, 1, taps, 1).expand(channels, 1, taps, 1)
    horizontal = window.view(1, 1, 1, taps).expand(channels, 1, 1, taps)
    x = F.conv2d(x, vertical, groups=channels)
    return F.conv2d(x, horizontal, groups=channels)


def ssim(pred: Tensor, target: Tensor, data_range: float) -> Tensor:
    """Per-image SSIM (B,): 11×11 Gaussian σ 1.5, K1 0.01, K2 0.03, valid window, mean over C,H,W.

    Computed in float64 (the exact reference); images smaller than 11 px in a side are refused.
    """
    if pred.shape != target.shape or pred.ndim != 4:
        raise DerainBenchError(
            f"ssim needs two (B, C, H, W) images of one shape, got {tuple(pred.shape)} "
            f"and {tuple(target.shape)}"
        )
    height, width = pred.shape[-2:]
    if min(height, width) < WINDOW_SIZE:
        raise DerainBenchError(
            f"ssim needs images of at least {WINDOW_SIZE}×{WINDOW_SIZE} pixels, "
            f"got {height}×{width}"
        )
    x = pred.to(torch.float64)
    y = target.to(torch.float64)
    channels = x.shape[1]
    window = gaussian_window().to(x.device)

    # The five local statistics go through one grouped convolution.
    stats = _filter_valid(torch.cat([x, y, x * x, y * y, x * y], dim=1), window)
    mu_x, mu_y, xx, yy, xy = stats.split(channels, dim=1)
    # Population (not sample) covariances, as in Wang's MATLAB code.
    var_x = xx - mu_x * mu_x
    var_y = yy - mu_y * mu_y
    cov_xy = xy - mu_x * mu_y

    c1 = (K1 * data_range) ** 2
    c2 = (K2 * data_range) ** 2
    ssim_map = ((2.0 * mu_x * mu_y + c1) * (2.0 * cov_xy + c2)) / (
        (mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2)
    )
    return ssim_map.flatten(1).mean(dim=1)
