"""Sample grids a person can look at: one row per image, columns rainy | restored | clean
(| the attention map of each recurrent step, for generators that have them)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor
from torchvision.utils import make_grid

from derainbench.contracts import Generator
from derainbench.datasets.image_io import save_png
from derainbench.evaluation.restore import generator_mode, restore


def center_crop_batch(images: Tensor, size: int) -> Tensor:
    """The central ``size``×``size`` window (or the whole side when it is smaller)."""
    h, w = images.shape[-2:]
    th, tw = min(h, size), min(w, size)
    top, left = (h - th) // 2, (w - tw) // 2
    return images[..., top : top + th, left : left + tw]


def save_sample_grid(generator: Generator, rainy: Tensor, clean: Tensor, path: Path) -> None:
    """Restore ``rainy`` in eval mode and write the rainy | restored | clean grid as a PNG,
    followed by one attention heat-map overlay per recurrent step when the generator has them."""
    from derainbench.evaluation.attention_view import attention_overlays

    with generator_mode(generator, "eval"):
        restored = restore(generator, rainy)
    columns = [rainy, restored.image.clamp(0, 1), clean]
    columns += attention_overlays(rainy, restored.attention or [])
    rows = torch.stack(columns, dim=1).flatten(0, 1)
    grid = make_grid(rows.cpu(), nrow=len(columns), padding=2, pad_value=1.0)
    save_png(grid, path)
