"""Image helpers shared by every layer: 8-bit quantisation as a paper saves PNGs, and
reflect-padding to a model's size multiple (cropped back afterwards)."""

from __future__ import annotations

import torch
from torch import Tensor


def to_uint8(image: Tensor) -> Tensor:
    """Clamp to [0, 1], scale by 255 and ROUND to uint8 (truncating would cost ~2 dB of PSNR)."""
    return image.detach().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)


def from_uint8(image: Tensor) -> Tensor:
    """uint8 [0, 255] → float32 [0, 1]."""
    return image.to(torch.float32) / 255.0


def _mirror_indices(length: int, target: int, device: torch.device) -> Tensor:
    """Indices 0..target-1 folded into 0..length-1 by repeated reflection (period 2·(length−1))."""
    index = torch.arange(target, device=device)
    if length == 1:
        return torch.zeros_like(index)  # nothing to reflect: a single row repeats
    period = 2 * (length - 1)
    index = index % period
    return torch.where(index < length, index, period - index)


def pad_to_multiple(x: Tensor, multiple: int) -> tuple[Tensor, tuple[int, int]]:
    """Reflect-pad the bottom and right of ``x`` (…,H,W) up to a multiple; also return (H, W).

    Unlike torch's reflect mode, any amount of padding works (the image is mirror-tiled).
    """
    height, width = x.shape[-2:]
    if multiple <= 1:
        return x, (height, width)
    new_height = -(-height // multiple) * multiple
    new_width = -(-width // multiple) * multiple
    if new_height != height:
        x = x.index_select(-2, _mirror_indices(height, new_height, x.device))
    if new_width != width:
        x = x.index_select(-1, _mirror_indices(width, new_width, x.device))
    return x, (height, width)


def crop_to(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Crop the top-left ``size`` = (H, W) of ``x`` (…,H',W'), undoing :func:`pad_to_multiple`."""
    height, width = size
    if height > x.shape[-2] or width > x.shape[-1]:
        raise ValueError(f"cannot crop {tuple(x.shape[-2:])} to a larger size {(height, width)}")
    return x[..., :height, :width]
