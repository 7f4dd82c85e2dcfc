"""Reflect-pad images to a size multiple for a model, and crop its output back."""

from __future__ import annotations

import torch
from torch import Tensor


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
