"""Colour conversions used by the metric protocols."""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.errors import DerainBenchError

# ITU-R BT.601 luma row of MATLAB's rgb2ycbcr, for RGB in [0, 1] and Y in [16, 235].
_Y_ROW = (65.481, 128.553, 24.966)
_Y_OFFSET = 16.0


def rgb_to_y_matlab(rgb_uint8: Tensor, rounded: bool = True) -> Tensor:
    """MATLAB ``rgb2ycbcr`` luma of uint8 RGB (B,3,H,W), as float64 (B,1,H,W) in the 0..255 scale.

    ``rounded=True`` reproduces MATLAB's uint8 output (round half away from zero); ``False`` keeps
    the fractional Y that BasicSR's ``test_y_channel`` uses.
    """
    if rgb_uint8.dtype != torch.uint8:
        raise DerainBenchError(f"rgb_to_y_matlab expects uint8 RGB, got {rgb_uint8.dtype}")
    if rgb_uint8.ndim != 4 or rgb_uint8.shape[1] != 3:
        raise DerainBenchError(
            f"rgb_to_y_matlab expects RGB of shape (B, 3, H, W), got {tuple(rgb_uint8.shape)}"
        )
    rgb = rgb_uint8.to(torch.float64)
    # Same arithmetic as MATLAB (rgb2ycbcr scales the row by 1/255, imlincomb accumulates
    # R, G, B then the offset in double): ~200 of the 2^24 colours sit exactly on a .5 tie,
    # so the order of the float operations decides their rounding.
    r, g, b = ((1.0 / 255.0) * c for c in _Y_ROW)
    y = r * rgb[:, 0:1] + g * rgb[:, 1:2]
    y = y + b * rgb[:, 2:3]
    y = y + _Y_OFFSET
    if rounded:
        # MATLAB rounds half away from zero (torch.round rounds half to even); Y is positive.
        y = torch.floor(y + 0.5).clamp_(0.0, 255.0)
    return y
