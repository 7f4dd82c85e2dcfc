"""Turn float images into the 8-bit images a paper would have saved as PNG."""

from __future__ import annotations

import torch
from torch import Tensor


def to_uint8(image: Tensor) -> Tensor:
    """Clamp to [0, 1], scale by 255 and ROUND to uint8 (truncating would cost ~2 dB of PSNR)."""
    return image.detach().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)


def from_uint8(image: Tensor) -> Tensor:
    """uint8 [0, 255] → float32 [0, 1]."""
    return image.to(torch.float32) / 255.0
