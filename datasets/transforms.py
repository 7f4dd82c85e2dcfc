"""Crops and flips applied identically to a (rainy, clean) pair.

All randomness comes from a CPU ``torch.Generator`` that the caller seeds per sample, so a sample's
augmentation does not depend on data-loader workers or on what was drawn before it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from derainbench.errors import DataError


def as_size(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """(height, width) from an int (square) or a pair; sizes must be positive."""
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    if height <= 0 or width <= 0:
        raise DataError(f"crop size must be positive, got {format_size(height, width)}")
    return int(height), int(width)


def format_size(height: int, width: int) -> str:
    """'480x720 (HxW)': sizes in messages always say which number is which."""
    return f"{height}x{width} (HxW)"


def paired_random_crop(
    rainy: Tensor, clean: Tensor, size: int | tuple[int, int], generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Crop the same random window out of both images (..., H, W)."""
    crop_h, crop_w = as_size(size)
    height, width = rainy.shape[-2:]
    if clean.shape[-2:] != rainy.shape[-2:]:
        raise DataError(
            f"rainy image {format_size(height, width)} and clean image "
            f"{format_size(*clean.shape[-2:])} differ in size; crop them to a common size first"
        )
    if crop_h > height or crop_w > width:
        raise DataError(
            f"image of {format_size(height, width)} is smaller than the crop "
            f"{format_size(crop_h, crop_w)}"
        )
    top = int(torch.randint(0, height - crop_h + 1, (1,), generator=generator))
    left = int(torch.randint(0, width - crop_w + 1, (1,), generator=generator))
    window = (..., slice(top, top + crop_h), slice(left, left + crop_w))
    return rainy[window], clean[window]


def paired_hflip(rainy: Tensor, clean: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Mirror both images left-right with probability 0.5 (one draw either way)."""
    if float(torch.rand((), generator=generator)) < 0.5:
        return rainy.flip(-1), clean.flip(-1)
    return rainy, clean


def center_crop(image: Tensor, size: int | tuple[int, int]) -> Tensor:
    """The central (height, width) window of an image (..., H, W)."""
    crop_h, crop_w = as_size(size)
    height, width = image.shape[-2:]
    if crop_h > height or crop_w > width:
        raise DataError(
            f"image of {format_size(height, width)} is smaller than the crop "
            f"{format_size(crop_h, crop_w)}"
        )
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return image[..., top : top + crop_h, left : left + crop_w]


def top_left_crop(image: Tensor, height: int, width: int) -> Tensor:
    """The top-left (height, width) window: how Raindrop's authors cut pairs to a common size."""
    return image[..., :height, :width]
